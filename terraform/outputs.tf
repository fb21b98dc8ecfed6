output "api_url" {
  description = "Base URL of the HTTP API: POST {api_url}/submit, GET {api_url}/status/{jobId}, POST {api_url}/uploads."
  value       = module.api.api_url
}

output "input_bucket" {
  description = "Input bucket (s3:// inputs and presigned uploads)."
  value       = module.storage.input_bucket_name
}

output "output_bucket" {
  description = "Private output bucket."
  value       = module.storage.output_bucket_name
}

output "queue_url" {
  description = "Job queue URL."
  value       = module.queue.queue_url
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue URL."
  value       = module.queue.dead_letter_queue_url
}

output "jobs_table" {
  description = "DynamoDB jobs table name."
  value       = module.jobs_table.table_name
}

output "alarm_topic_arn" {
  description = "SNS topic ARN the alarms notify."
  value       = module.monitoring.alarm_topic_arn
}

output "ffmpeg_layer_arn" {
  description = "FFmpeg layer used by the worker."
  value       = module.ffmpeg_layer.layer_arn
}

output "function_names" {
  description = "Lambda function names by role."
  value       = module.functions.function_names
}
