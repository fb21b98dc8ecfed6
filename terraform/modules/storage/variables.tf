variable "name" {
  description = "Prefix for the bucket names: <name>-input-<account>, <name>-output-<account>, <name>-artifacts-<account>."
  type        = string
  default     = "green-screen-remover"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,35}$", var.name))
    error_message = "name must be 2 to 36 lowercase letters, digits or hyphens (S3 bucket naming)."
  }
}

variable "input_expiration_days" {
  description = "Days after which uploaded inputs are deleted (1 to 3650)."
  type        = number
  default     = 7

  validation {
    condition     = var.input_expiration_days >= 1 && var.input_expiration_days <= 3650
    error_message = "input_expiration_days must be between 1 and 3650."
  }
}

variable "output_expiration_days" {
  description = "Days after which transparent outputs are deleted (1 to 3650)."
  type        = number
  default     = 30

  validation {
    condition     = var.output_expiration_days >= 1 && var.output_expiration_days <= 3650
    error_message = "output_expiration_days must be between 1 and 3650."
  }
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to PUT uploads and GET outputs with presigned URLs, e.g. [\"https://app.example.com\"]. Empty: no CORS."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^https://", origin))])
    error_message = "every CORS origin must start with https://."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
