# One least-privilege policy per function: only the actions its code calls, on its own resources.
# tests/infra/test_iam.py checks these action lists against service/handlers/*.py IAM_ACTIONS and
# against the AWS calls the handlers are observed to make.

locals {
  policies = {
    submit    = data.aws_iam_policy_document.submit.json
    status    = data.aws_iam_policy_document.status.json
    uploads   = data.aws_iam_policy_document.uploads.json
    worker    = data.aws_iam_policy_document.worker.json
    reconcile = data.aws_iam_policy_document.reconcile.json
  }
}

data "aws_iam_policy_document" "logs" {
  for_each = local.functions

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this[each.key].arn}:*"]
  }

  statement {
    sid       = "XRayTracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
}

data "aws_iam_policy_document" "submit" {
  source_policy_documents = [data.aws_iam_policy_document.logs["submit"].json]

  statement {
    sid       = "Jobs"
    actions   = ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"]
    resources = [var.jobs_table_arn]
  }

  statement {
    sid       = "Queue"
    actions   = ["sqs:SendMessage"]
    resources = [var.queue_arn]
  }
}

data "aws_iam_policy_document" "status" {
  source_policy_documents = [data.aws_iam_policy_document.logs["status"].json]

  statement {
    sid       = "Jobs"
    actions   = ["dynamodb:GetItem"]
    resources = [var.jobs_table_arn]
  }

  statement {
    sid       = "PresignOutputs"
    actions   = ["s3:GetObject"]
    resources = ["${var.output_bucket_arn}/jobs/*"]
  }
}

data "aws_iam_policy_document" "uploads" {
  source_policy_documents = [data.aws_iam_policy_document.logs["uploads"].json]

  statement {
    sid       = "PresignUploads"
    actions   = ["s3:PutObject"]
    resources = ["${var.input_bucket_arn}/uploads/*"]
  }
}

data "aws_iam_policy_document" "worker" {
  source_policy_documents = [data.aws_iam_policy_document.logs["worker"].json]

  statement {
    sid       = "Jobs"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem"]
    resources = [var.jobs_table_arn]
  }

  statement {
    sid       = "ReadInputs"
    actions   = ["s3:GetObject"]
    resources = ["${var.input_bucket_arn}/*"]
  }

  statement {
    sid       = "WriteOutputs"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.output_bucket_arn}/jobs/*"]
  }

  statement {
    sid       = "EventSourceMapping"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
    resources = [var.queue_arn]
  }
}

data "aws_iam_policy_document" "reconcile" {
  source_policy_documents = [data.aws_iam_policy_document.logs["reconcile"].json]

  statement {
    sid       = "Jobs"
    actions   = ["dynamodb:Scan", "dynamodb:UpdateItem"]
    resources = [var.jobs_table_arn]
  }

  statement {
    sid       = "ReadDeadLetters"
    actions   = ["sqs:ReceiveMessage"]
    resources = [var.dead_letter_queue_arn]
  }
}
