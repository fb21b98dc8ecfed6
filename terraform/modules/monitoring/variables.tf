variable "name" {
  description = "Prefix for the topic, alarm and dashboard names."
  type        = string
  default     = "green-screen-remover"
}

variable "region" {
  description = "Region shown by the dashboard widgets."
  type        = string
}

variable "queue_name" {
  description = "Name of the job queue."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Name of the dead-letter queue."
  type        = string
}

variable "worker_function_name" {
  description = "Name of the worker function."
  type        = string
}

variable "api_id" {
  description = "ID of the HTTP API."
  type        = string
}

variable "api_stage" {
  description = "Stage of the HTTP API."
  type        = string
  default     = "$default"
}

variable "alarm_email" {
  description = "E-mail address subscribed to the alarm topic (confirm the subscription mail). Null: no subscription."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "oldest_message_age_threshold_seconds" {
  description = "Alarm when the oldest queued job is older than this, in seconds (60 to 1209600)."
  type        = number
  default     = 1800

  validation {
    condition     = var.oldest_message_age_threshold_seconds >= 60 && var.oldest_message_age_threshold_seconds <= 1209600
    error_message = "oldest_message_age_threshold_seconds must be between 60 and 1209600."
  }
}

variable "api_5xx_threshold" {
  description = "Alarm when the API returns more than this many 5xx responses in 5 minutes (0 or more)."
  type        = number
  default     = 0

  validation {
    condition     = var.api_5xx_threshold >= 0
    error_message = "api_5xx_threshold must be 0 or more."
  }
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
