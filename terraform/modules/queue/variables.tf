variable "name" {
  description = "Prefix for the queue names: <name>-jobs and <name>-jobs-dlq."
  type        = string
  default     = "green-screen-remover"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,60}$", var.name))
    error_message = "name must be 1 to 60 letters, digits, hyphens or underscores."
  }
}

variable "worker_timeout_seconds" {
  description = "The worker Lambda's timeout in seconds (1 to 900); the visibility timeout is this times visibility_timeout_multiplier."
  type        = number
  default     = 900

  validation {
    condition     = var.worker_timeout_seconds >= 1 && var.worker_timeout_seconds <= 900
    error_message = "worker_timeout_seconds must be between 1 and 900."
  }
}

variable "visibility_timeout_multiplier" {
  description = "Visibility timeout as a multiple of the worker timeout. AWS recommends at least 6 for SQS event sources."
  type        = number
  default     = 6

  validation {
    condition     = var.visibility_timeout_multiplier >= 6
    error_message = "visibility_timeout_multiplier must be at least 6."
  }
}

variable "max_receive_count" {
  description = "Deliveries of a message before it moves to the DLQ (1 to 10). The worker's MAX_ATTEMPTS is set to the same value."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 10
    error_message = "max_receive_count must be between 1 and 10."
  }
}

variable "message_retention_seconds" {
  description = "How long a job message may wait in the queue, in seconds (60 to 1209600, i.e. 14 days)."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "message_retention_seconds must be between 60 and 1209600."
  }
}

variable "dlq_retention_seconds" {
  description = "How long dead-lettered messages are kept, in seconds (60 to 1209600, i.e. 14 days)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_retention_seconds >= 60 && var.dlq_retention_seconds <= 1209600
    error_message = "dlq_retention_seconds must be between 60 and 1209600."
  }
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
