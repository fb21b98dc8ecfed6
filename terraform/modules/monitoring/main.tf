resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alarm_email == null ? 0 : 1

  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alarms = {
    dead_letters = {
      description = "Jobs were dead-lettered: their messages failed every attempt. The reconciler ends them in ERROR; inspect the DLQ."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = var.dead_letter_queue_name }
      statistic   = "Maximum"
      threshold   = 0
    }
    oldest_job_age = {
      description = "The oldest queued job has waited too long: workers are failing, throttled or too few."
      namespace   = "AWS/SQS"
      metric      = "ApproximateAgeOfOldestMessage"
      dimensions  = { QueueName = var.queue_name }
      statistic   = "Maximum"
      threshold   = var.oldest_message_age_threshold_seconds
    }
    worker_errors = {
      description = "The worker function failed (crash, timeout or out of memory)."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = var.worker_function_name }
      statistic   = "Sum"
      threshold   = 0
    }
    worker_throttles = {
      description = "The worker was throttled: reserved concurrency is exhausted."
      namespace   = "AWS/Lambda"
      metric      = "Throttles"
      dimensions  = { FunctionName = var.worker_function_name }
      statistic   = "Sum"
      threshold   = 0
    }
    api_5xx = {
      description = "The API returned server errors."
      namespace   = "AWS/ApiGateway"
      metric      = "5xx"
      dimensions  = { ApiId = var.api_id, Stage = var.api_stage }
      statistic   = "Sum"
      threshold   = var.api_5xx_threshold
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = var.tags
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = var.name
  dashboard_body = jsonencode({
    widgets = [
      for index, key in keys(local.alarms) : {
        type   = "metric"
        x      = (index % 3) * 8
        y      = floor(index / 3) * 6
        width  = 8
        height = 6
        properties = {
          title   = replace(key, "_", " ")
          region  = var.region
          stat    = local.alarms[key].statistic
          period  = 300
          metrics = [concat([local.alarms[key].namespace, local.alarms[key].metric], flatten([for k, v in local.alarms[key].dimensions : [k, v]]))]
          annotations = {
            horizontal = [{ value = local.alarms[key].threshold, label = "alarm" }]
          }
        }
      }
    ]
  })
}
