variable "name" {
  description = "Prefix for function, role and log group names: <name>-submit, <name>-worker, ..."
  type        = string
  default     = "green-screen-remover"
}

variable "function_zip_s3_bucket" {
  description = "Bucket holding the function zip built by scripts/build_function.py."
  type        = string
}

variable "function_zip_s3_key" {
  description = "Key of the function zip in function_zip_s3_bucket."
  type        = string
}

variable "function_zip_sha256" {
  description = "base64-encoded SHA-256 of the function zip (filebase64sha256), so code changes redeploy."
  type        = string
}

variable "ffmpeg_layer_arn" {
  description = "Versioned ARN of the FFmpeg layer attached to the worker."
  type        = string
}

variable "jobs_table_name" {
  description = "Name of the DynamoDB jobs table."
  type        = string
}

variable "jobs_table_arn" {
  description = "ARN of the DynamoDB jobs table."
  type        = string
}

variable "queue_url" {
  description = "URL of the job queue."
  type        = string
}

variable "queue_arn" {
  description = "ARN of the job queue (the worker's event source)."
  type        = string
}

variable "dead_letter_queue_url" {
  description = "URL of the dead-letter queue (read by the reconciler)."
  type        = string
}

variable "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue."
  type        = string
}

variable "input_bucket_name" {
  description = "Name of the input bucket."
  type        = string
}

variable "input_bucket_arn" {
  description = "ARN of the input bucket."
  type        = string
}

variable "output_bucket_name" {
  description = "Name of the output bucket."
  type        = string
}

variable "output_bucket_arn" {
  description = "ARN of the output bucket."
  type        = string
}

variable "worker_memory_mb" {
  description = "Worker memory in MB (1024 to 10240). More memory also buys CPU: 1769 MB is one full vCPU, 10240 MB six."
  type        = number
  default     = 4096

  validation {
    condition     = var.worker_memory_mb >= 1024 && var.worker_memory_mb <= 10240
    error_message = "worker_memory_mb must be between 1024 and 10240."
  }
}

variable "worker_timeout_seconds" {
  description = "Worker timeout in seconds (60 to 900, i.e. 15 minutes)."
  type        = number
  default     = 900

  validation {
    condition     = var.worker_timeout_seconds >= 60 && var.worker_timeout_seconds <= 900
    error_message = "worker_timeout_seconds must be between 60 and 900."
  }
}

variable "worker_ephemeral_storage_mb" {
  description = "Worker /tmp size in MB (512 to 10240). Must hold the input and the output of one job."
  type        = number
  default     = 10240

  validation {
    condition     = var.worker_ephemeral_storage_mb >= 512 && var.worker_ephemeral_storage_mb <= 10240
    error_message = "worker_ephemeral_storage_mb must be between 512 and 10240."
  }
}

variable "worker_reserved_concurrency" {
  description = "Reserved (and maximum) concurrent workers (1 to 1000): caps cost and protects the account's other functions."
  type        = number
  default     = 10

  validation {
    condition     = var.worker_reserved_concurrency >= 1 && var.worker_reserved_concurrency <= 1000
    error_message = "worker_reserved_concurrency must be between 1 and 1000."
  }
}

variable "worker_batch_size" {
  description = "Messages per worker invocation (1 to 10). Each message is a whole video, so 1 gives each job the full timeout."
  type        = number
  default     = 1

  validation {
    condition     = var.worker_batch_size >= 1 && var.worker_batch_size <= 10
    error_message = "worker_batch_size must be between 1 and 10."
  }
}

variable "api_reserved_concurrency" {
  description = "Reserved concurrency of each API function (submit, status, uploads, reconcile); 1 to 1000."
  type        = number
  default     = 20

  validation {
    condition     = var.api_reserved_concurrency >= 1 && var.api_reserved_concurrency <= 1000
    error_message = "api_reserved_concurrency must be between 1 and 1000."
  }
}

variable "api_timeout_seconds" {
  description = "Timeout of the API functions in seconds (3 to 29; API Gateway waits at most 30 s)."
  type        = number
  default     = 10

  validation {
    condition     = var.api_timeout_seconds >= 3 && var.api_timeout_seconds <= 29
    error_message = "api_timeout_seconds must be between 3 and 29."
  }
}

variable "max_receive_count" {
  description = "Deliveries before a job gives up; must equal the queue's maxReceiveCount (1 to 10)."
  type        = number
  default     = 3

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 10
    error_message = "max_receive_count must be between 1 and 10."
  }
}

variable "max_input_bytes" {
  description = "Largest input the worker downloads, in bytes (1 MiB to 10 GiB; default 2 GiB)."
  type        = number
  default     = 2147483648

  validation {
    condition     = var.max_input_bytes >= 1048576 && var.max_input_bytes <= 10737418240
    error_message = "max_input_bytes must be between 1048576 and 10737418240."
  }
}

variable "download_timeout_seconds" {
  description = "Total time allowed for downloading an input, in seconds (10 to 600)."
  type        = number
  default     = 120

  validation {
    condition     = var.download_timeout_seconds >= 10 && var.download_timeout_seconds <= 600
    error_message = "download_timeout_seconds must be between 10 and 600."
  }
}

variable "max_duration_seconds" {
  description = "Longest input video accepted, in seconds (1 to 7200)."
  type        = number
  default     = 600

  validation {
    condition     = var.max_duration_seconds >= 1 && var.max_duration_seconds <= 7200
    error_message = "max_duration_seconds must be between 1 and 7200."
  }
}

variable "max_pixels" {
  description = "Largest frame accepted, in pixels per frame (default 3840x2160)."
  type        = number
  default     = 8294400

  validation {
    condition     = var.max_pixels >= 4 && var.max_pixels <= 35389440
    error_message = "max_pixels must be between 4 and 35389440 (8K)."
  }
}

variable "output_url_ttl_seconds" {
  description = "Lifetime of the presigned output URL returned by GET /status, in seconds (60 to 604800)."
  type        = number
  default     = 3600

  validation {
    condition     = var.output_url_ttl_seconds >= 60 && var.output_url_ttl_seconds <= 604800
    error_message = "output_url_ttl_seconds must be between 60 and 604800."
  }
}

variable "upload_url_ttl_seconds" {
  description = "Lifetime of the presigned upload URL returned by POST /uploads, in seconds (60 to 604800)."
  type        = number
  default     = 900

  validation {
    condition     = var.upload_url_ttl_seconds >= 60 && var.upload_url_ttl_seconds <= 604800
    error_message = "upload_url_ttl_seconds must be between 60 and 604800."
  }
}

variable "job_retention_days" {
  description = "Days a job record is kept before DynamoDB's TTL deletes it (1 to 3650)."
  type        = number
  default     = 30

  validation {
    condition     = var.job_retention_days >= 1 && var.job_retention_days <= 3650
    error_message = "job_retention_days must be between 1 and 3650."
  }
}

variable "stale_job_after_seconds" {
  description = "Age after which the reconciler ends a job nothing is processing, in seconds (at least 3600)."
  type        = number
  default     = 21600

  validation {
    condition     = var.stale_job_after_seconds >= 3600
    error_message = "stale_job_after_seconds must be at least 3600."
  }
}

variable "reconcile_schedule_expression" {
  description = "EventBridge schedule of the reconciler, e.g. rate(15 minutes)."
  type        = string
  default     = "rate(15 minutes)"

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.reconcile_schedule_expression))
    error_message = "reconcile_schedule_expression must be rate(...) or cron(...)."
  }
}

variable "auth_mode" {
  description = "How callers are identified: none, iam or jwt (matches the api module's auth.type)."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["none", "iam", "jwt"], var.auth_mode)
    error_message = "auth_mode must be none, iam or jwt."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups in days (one of CloudWatch's allowed values, e.g. 7, 30, 90, 365)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts."
  }
}

variable "tags" {
  description = "Tags applied to every resource of this module."
  type        = map(string)
  default     = {}
}
