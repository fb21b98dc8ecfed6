locals {
  # Peak memory of one keying run: about 240 MB plus 256 bytes per pixel of frame, mostly the VP9
  # encoder's (MEMORY_BASE_MB and MEMORY_BYTES_PER_PIXEL in service/keying/engine.py; tests/infra
  # checks they agree). The worker refuses larger frames; the precondition below refuses a
  # max_pixels that its memory cannot key.
  keying_memory_base_mb         = 240
  keying_memory_bytes_per_pixel = 256
  worker_pixels_that_fit        = floor((var.worker_memory_mb - local.keying_memory_base_mb) * 1048576 / local.keying_memory_bytes_per_pixel)

  # Handler strings and the environment of each function. tests/infra checks these against
  # service/handlers/*.py (the handler exists; ENVIRONMENT names exactly these variables).
  functions = {
    submit = {
      handler     = "service.handlers.submit.handler"
      description = "POST /submit: validate, create the job, queue it"
      memory_mb   = 256
      timeout_s   = var.api_timeout_seconds
      environment = {
        JOBS_TABLE             = var.jobs_table_name
        JOB_QUEUE_URL          = var.queue_url
        INPUT_BUCKET           = var.input_bucket_name
        FETCH_ALLOW_HTTP       = "false"
        FETCH_ALLOWED_NETWORKS = ""
        JOB_RETENTION_DAYS     = tostring(var.job_retention_days)
      }
    }
    status = {
      handler     = "service.handlers.status.handler"
      description = "GET /status/{jobId}: job record with a fresh presigned output URL"
      memory_mb   = 256
      timeout_s   = var.api_timeout_seconds
      environment = {
        JOBS_TABLE       = var.jobs_table_name
        OUTPUT_BUCKET    = var.output_bucket_name
        OUTPUT_URL_TTL_S = tostring(var.output_url_ttl_seconds)
        AUTH_MODE        = var.auth_mode
      }
    }
    uploads = {
      handler     = "service.handlers.uploads.handler"
      description = "POST /uploads: presigned PUT into the input bucket"
      memory_mb   = 256
      timeout_s   = var.api_timeout_seconds
      environment = {
        INPUT_BUCKET     = var.input_bucket_name
        UPLOAD_URL_TTL_S = tostring(var.upload_url_ttl_seconds)
      }
    }
    worker = {
      handler     = "service.handlers.worker.handler"
      description = "SQS worker: fetch, key with FFmpeg, upload, finish the job"
      memory_mb   = var.worker_memory_mb
      timeout_s   = var.worker_timeout_seconds
      environment = {
        JOBS_TABLE             = var.jobs_table_name
        INPUT_BUCKET           = var.input_bucket_name
        OUTPUT_BUCKET          = var.output_bucket_name
        WORK_DIR               = "/tmp"
        MAX_INPUT_BYTES        = tostring(var.max_input_bytes)
        DOWNLOAD_TIMEOUT_S     = tostring(var.download_timeout_seconds)
        MAX_ATTEMPTS           = tostring(var.max_receive_count)
        FETCH_ALLOW_HTTP       = "false"
        FETCH_ALLOWED_NETWORKS = ""
        MAX_DURATION_S         = tostring(var.max_duration_seconds)
        MAX_PIXELS             = tostring(var.max_pixels)
        FFMPEG_PATH            = "/opt/bin/ffmpeg"
      }
    }
    reconcile = {
      handler     = "service.handlers.reconcile.handler"
      description = "Scheduled: end stuck and dead-lettered jobs in ERROR"
      memory_mb   = 256
      timeout_s   = 300
      environment = {
        JOBS_TABLE            = var.jobs_table_name
        DEAD_LETTER_QUEUE_URL = var.dead_letter_queue_url
        STALE_JOB_AFTER_S     = tostring(var.stale_job_after_seconds)
      }
    }
  }
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  for_each = local.functions

  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "this" {
  for_each = local.functions

  name   = "${var.name}-${each.key}"
  role   = aws_iam_role.this[each.key].id
  policy = local.policies[each.key]
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = local.functions
  # checkov:skip=CKV_AWS_158: log groups use CloudWatch's default encryption; a KMS key adds cost without changing who can read them.
  # checkov:skip=CKV_AWS_338: retention is a variable (default 30 days) because logs hold input URLs.

  name              = "/aws/lambda/${var.name}-${each.key}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "this" {
  for_each = local.functions
  # checkov:skip=CKV_AWS_116: API functions are invoked synchronously and the worker's failures go to the SQS DLQ; a Lambda DLQ would never receive anything.
  # checkov:skip=CKV_AWS_117: the worker must reach public URLs; a VPC would need a NAT gateway and adds nothing to the URL policy in code.
  # checkov:skip=CKV_AWS_173: environment variables hold resource names and limits, no secrets.
  # checkov:skip=CKV_AWS_272: code signing needs an AWS Signer profile the platform team may not have; zips are built reproducibly instead.

  function_name                  = "${var.name}-${each.key}"
  description                    = each.value.description
  role                           = aws_iam_role.this[each.key].arn
  runtime                        = "python3.11"
  architectures                  = ["x86_64"]
  handler                        = each.value.handler
  s3_bucket                      = var.function_zip_s3_bucket
  s3_key                         = var.function_zip_s3_key
  source_code_hash               = var.function_zip_sha256
  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_s
  layers                         = each.key == "worker" ? [var.ffmpeg_layer_arn] : []
  reserved_concurrent_executions = each.key == "worker" ? var.worker_reserved_concurrency : var.api_reserved_concurrency

  ephemeral_storage {
    size = each.key == "worker" ? var.worker_ephemeral_storage_mb : 512
  }

  environment {
    variables = each.value.environment
  }

  tracing_config {
    mode = "Active"
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.this[each.key].name
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = each.key != "worker" || var.max_pixels <= local.worker_pixels_that_fit
      error_message = "max_pixels is more than worker_memory_mb can key: a run takes about 240 MB plus 256 bytes per pixel of frame (3840x2160 needs 2265 MB). Raise worker_memory_mb or lower max_pixels."
    }
  }
}

resource "aws_lambda_event_source_mapping" "worker" {
  event_source_arn        = var.queue_arn
  function_name           = aws_lambda_function.this["worker"].arn
  batch_size              = var.worker_batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = max(2, var.worker_reserved_concurrency)
  }
}

resource "aws_cloudwatch_event_rule" "reconcile" {
  name                = "${var.name}-reconcile"
  description         = "Run the reconciler that ends stuck and dead-lettered jobs"
  schedule_expression = var.reconcile_schedule_expression
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "reconcile" {
  rule = aws_cloudwatch_event_rule.reconcile.name
  arn  = aws_lambda_function.this["reconcile"].arn
}

resource "aws_lambda_permission" "reconcile" {
  statement_id  = "AllowEventBridgeSchedule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["reconcile"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.reconcile.arn
}
