variable "name" {
  description = "Name prefix of every resource (2 to 36 lowercase letters, digits or hyphens)."
  type        = string
  default     = "green-screen-remover"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,35}$", var.name))
    error_message = "name must be 2 to 36 lowercase letters, digits or hyphens."
  }
}

variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "eu-central-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as eu-central-1."
  }
}

variable "tags" {
  description = "Tags applied to every resource (merged into the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "function_zip_path" {
  description = "Path of the function zip built by `make build`."
  type        = string
  default     = "../build/function.zip"
}

variable "ffmpeg_layer_zip_path" {
  description = "Path of the FFmpeg layer zip built by `make build`; unused when an existing layer is given."
  type        = string
  default     = "../build/ffmpeg-layer.zip"
}

variable "existing_ffmpeg_layer_arn" {
  description = "Use this FFmpeg layer instead of publishing one (it must provide /opt/bin/ffmpeg)."
  type        = string
  default     = null
}

variable "ffmpeg_layer_arn_ssm_parameter" {
  description = "Read an existing FFmpeg layer ARN from this SSM parameter, e.g. /green-screen-remover/ffmpeg-layer-arn (as the seed does)."
  type        = string
  default     = null
}

variable "worker_memory_mb" {
  description = "Worker memory in MB (1024 to 10240); 4096 MB gives about 2.3 vCPUs."
  type        = number
  default     = 4096
}

variable "worker_timeout_seconds" {
  description = "Worker timeout in seconds (60 to 900). The queue's visibility timeout is 6 times this."
  type        = number
  default     = 900
}

variable "worker_ephemeral_storage_mb" {
  description = "Worker /tmp in MB (512 to 10240)."
  type        = number
  default     = 10240
}

variable "worker_reserved_concurrency" {
  description = "Maximum concurrent workers (1 to 1000)."
  type        = number
  default     = 10
}

variable "max_receive_count" {
  description = "Attempts per job before it ends in ERROR and its message moves to the DLQ (1 to 10)."
  type        = number
  default     = 3
}

variable "max_input_bytes" {
  description = "Largest input video in bytes (default 2 GiB)."
  type        = number
  default     = 2147483648
}

variable "download_timeout_seconds" {
  description = "Total time to download an input, in seconds (10 to 600)."
  type        = number
  default     = 120
}

variable "max_duration_seconds" {
  description = "Longest input video accepted, in seconds (1 to 7200)."
  type        = number
  default     = 600
}

variable "max_pixels" {
  description = "Largest frame accepted, in pixels per frame (default 3840x2160). The worker needs about 240 MB plus 256 bytes per pixel: 4K needs worker_memory_mb of at least 2265."
  type        = number
  default     = 8294400
}

variable "input_expiration_days" {
  description = "Days uploaded inputs are kept (1 to 3650)."
  type        = number
  default     = 7
}

variable "output_expiration_days" {
  description = "Days transparent outputs are kept (1 to 3650)."
  type        = number
  default     = 30
}

variable "job_retention_days" {
  description = "Days job records are kept (DynamoDB TTL; 1 to 3650)."
  type        = number
  default     = 30
}

variable "auth" {
  description = "API access: { type = \"none\" | \"iam\" | \"jwt\", jwt_issuer = \"https://...\", jwt_audience = [\"client-id\"] }."
  type = object({
    type         = string
    jwt_issuer   = optional(string)
    jwt_audience = optional(list(string), [])
  })
  default = { type = "none" }
}

variable "api_throttling_rate_limit" {
  description = "API requests per second (1 to 10000)."
  type        = number
  default     = 50
}

variable "api_throttling_burst_limit" {
  description = "API burst above the rate (1 to 5000)."
  type        = number
  default     = 100
}

variable "cors_allowed_origins" {
  description = "Browser origins (https://...) allowed to call the API and use presigned URLs. Empty: none."
  type        = list(string)
  default     = []
}

variable "custom_domain" {
  description = "Optional { domain_name, certificate_arn } for the API."
  type = object({
    domain_name     = string
    certificate_arn = string
  })
  default = null
}

variable "alarm_email" {
  description = "E-mail subscribed to the alarm topic; null for none."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of all log groups in days (a CloudWatch Logs retention value)."
  type        = number
  default     = 30
}

variable "deletion_protection" {
  description = "Protect the jobs table from deletion (set false to tear down a test stack)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let terraform destroy empty the buckets (for test stacks)."
  type        = bool
  default     = false
}
