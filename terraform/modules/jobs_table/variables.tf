variable "name" {
  description = "Prefix for the table name: <name>-jobs."
  type        = string
  default     = "green-screen-remover"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,200}$", var.name))
    error_message = "name must be 3 to 200 letters, digits, '.', '-' or '_'."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the table (set false before destroying a test stack)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
