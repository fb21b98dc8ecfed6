variable "name" {
  description = "Name of the HTTP API and prefix of its log group."
  type        = string
  default     = "green-screen-remover"
}

variable "function_invoke_arns" {
  description = "Invoke ARNs of the submit, status and uploads functions, keyed by those names."
  type        = map(string)

  validation {
    condition     = alltrue([for key in ["submit", "status", "uploads"] : contains(keys(var.function_invoke_arns), key)])
    error_message = "function_invoke_arns needs submit, status and uploads."
  }
}

variable "function_names" {
  description = "Names of the submit, status and uploads functions, keyed by those names."
  type        = map(string)
}

variable "auth" {
  description = "Who may call the API: type none (open), iam (SigV4-signed requests) or jwt (with jwt_issuer, e.g. https://cognito-idp.<region>.amazonaws.com/<pool>, and jwt_audience, a list of client ids)."
  type = object({
    type         = string
    jwt_issuer   = optional(string)
    jwt_audience = optional(list(string), [])
  })
  default = { type = "none" }

  validation {
    condition     = contains(["none", "iam", "jwt"], var.auth.type)
    error_message = "auth.type must be none, iam or jwt."
  }

  validation {
    condition     = var.auth.type != "jwt" || (try(startswith(var.auth.jwt_issuer, "https://"), false) && length(var.auth.jwt_audience) > 0)
    error_message = "auth.type jwt needs an https:// jwt_issuer and at least one jwt_audience."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second for the whole stage (1 to 10000)."
  type        = number
  default     = 50

  validation {
    condition     = var.throttling_rate_limit >= 1 && var.throttling_rate_limit <= 10000
    error_message = "throttling_rate_limit must be between 1 and 10000."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed above the rate (1 to 5000)."
  type        = number
  default     = 100

  validation {
    condition     = var.throttling_burst_limit >= 1 && var.throttling_burst_limit <= 5000
    error_message = "throttling_burst_limit must be between 1 and 5000."
  }
}

variable "cors_allowed_origins" {
  description = "Browser origins allowed to call the API (https:// only). Empty: no CORS."
  type        = list(string)
  default     = []
}

variable "custom_domain" {
  description = "Optional custom domain: domain_name and the ARN of an ACM certificate for it in the same region. Point a DNS alias at the regional target output."
  type = object({
    domain_name     = string
    certificate_arn = string
  })
  default = null
}

variable "log_retention_days" {
  description = "Retention of the access log group in days (a CloudWatch Logs retention value)."
  type        = number
  default     = 30
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
