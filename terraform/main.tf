# green-screen-remover: API Gateway -> Lambda -> SQS -> Lambda worker (FFmpeg layer) -> S3, jobs in DynamoDB.

locals {
  layer_from_ssm     = var.ffmpeg_layer_arn_ssm_parameter == null ? null : nonsensitive(data.aws_ssm_parameter.ffmpeg_layer[0].value)
  existing_layer_arn = coalesce(var.existing_ffmpeg_layer_arn, local.layer_from_ssm, "none")
}

data "aws_ssm_parameter" "ffmpeg_layer" {
  count = var.ffmpeg_layer_arn_ssm_parameter == null ? 0 : 1
  name  = var.ffmpeg_layer_arn_ssm_parameter
}

module "storage" {
  source = "./modules/storage"

  name                   = var.name
  input_expiration_days  = var.input_expiration_days
  output_expiration_days = var.output_expiration_days
  cors_allowed_origins   = var.cors_allowed_origins
  force_destroy          = var.force_destroy
  tags                   = var.tags
}

module "jobs_table" {
  source = "./modules/jobs_table"

  name                = var.name
  deletion_protection = var.deletion_protection
  tags                = var.tags
}

module "queue" {
  source = "./modules/queue"

  name                   = var.name
  worker_timeout_seconds = var.worker_timeout_seconds
  max_receive_count      = var.max_receive_count
  tags                   = var.tags
}

module "ffmpeg_layer" {
  source = "./modules/ffmpeg_layer"

  name               = var.name
  layer_zip_path     = var.ffmpeg_layer_zip_path
  existing_layer_arn = local.existing_layer_arn == "none" ? null : local.existing_layer_arn
  artifacts_bucket   = module.storage.artifacts_bucket_name
  tags               = var.tags
}

resource "aws_s3_object" "function_zip" {
  bucket      = module.storage.artifacts_bucket_name
  key         = "functions/${filemd5(var.function_zip_path)}.zip"
  source      = var.function_zip_path
  source_hash = filemd5(var.function_zip_path)
}

module "functions" {
  source = "./modules/functions"

  name                        = var.name
  function_zip_s3_bucket      = aws_s3_object.function_zip.bucket
  function_zip_s3_key         = aws_s3_object.function_zip.key
  function_zip_sha256         = filebase64sha256(var.function_zip_path)
  ffmpeg_layer_arn            = module.ffmpeg_layer.layer_arn
  jobs_table_name             = module.jobs_table.table_name
  jobs_table_arn              = module.jobs_table.table_arn
  queue_url                   = module.queue.queue_url
  queue_arn                   = module.queue.queue_arn
  dead_letter_queue_url       = module.queue.dead_letter_queue_url
  dead_letter_queue_arn       = module.queue.dead_letter_queue_arn
  input_bucket_name           = module.storage.input_bucket_name
  input_bucket_arn            = module.storage.input_bucket_arn
  output_bucket_name          = module.storage.output_bucket_name
  output_bucket_arn           = module.storage.output_bucket_arn
  worker_memory_mb            = var.worker_memory_mb
  worker_timeout_seconds      = var.worker_timeout_seconds
  worker_ephemeral_storage_mb = var.worker_ephemeral_storage_mb
  worker_reserved_concurrency = var.worker_reserved_concurrency
  max_receive_count           = var.max_receive_count
  max_input_bytes             = var.max_input_bytes
  download_timeout_seconds    = var.download_timeout_seconds
  max_duration_seconds        = var.max_duration_seconds
  max_pixels                  = var.max_pixels
  job_retention_days          = var.job_retention_days
  auth_mode                   = var.auth.type
  log_retention_days          = var.log_retention_days
  tags                        = var.tags
}

module "api" {
  source = "./modules/api"

  name                   = var.name
  function_invoke_arns   = module.functions.invoke_arns
  function_names         = module.functions.function_names
  auth                   = var.auth
  throttling_rate_limit  = var.api_throttling_rate_limit
  throttling_burst_limit = var.api_throttling_burst_limit
  cors_allowed_origins   = var.cors_allowed_origins
  custom_domain          = var.custom_domain
  log_retention_days     = var.log_retention_days
  tags                   = var.tags
}

module "monitoring" {
  source = "./modules/monitoring"

  name                   = var.name
  region                 = var.region
  queue_name             = module.queue.queue_name
  dead_letter_queue_name = module.queue.dead_letter_queue_name
  worker_function_name   = module.functions.function_names["worker"]
  api_id                 = module.api.api_id
  api_stage              = module.api.stage_name
  alarm_email            = var.alarm_email
  tags                   = var.tags
}
