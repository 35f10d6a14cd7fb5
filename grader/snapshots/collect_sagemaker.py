"""SageMaker part of an account snapshot, per region: notebook instances, training jobs, models,
endpoint configs and endpoints, each with its full Describe response."""

from __future__ import annotations

MAX_TRAINING_JOBS = 200   # the most recent; a course account has a handful

# kind -> (list operation, list key, name field, describe operation, describe parameter)
RESOURCES = {
    "notebook_instances": ("list_notebook_instances", "NotebookInstances", "NotebookInstanceName",
                           "describe_notebook_instance", "NotebookInstanceName"),
    "training_jobs": ("list_training_jobs", "TrainingJobSummaries", "TrainingJobName",
                      "describe_training_job", "TrainingJobName"),
    "models": ("list_models", "Models", "ModelName", "describe_model", "ModelName"),
    "endpoint_configs": ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName",
                         "describe_endpoint_config", "EndpointConfigName"),
    "endpoints": ("list_endpoints", "Endpoints", "EndpointName", "describe_endpoint", "EndpointName"),
}


def _resources(collector, region, kind):
    list_operation, key, name_field, describe, parameter = RESOURCES[kind]
    target = f"sagemaker.{region}.{kind}"
    client = collector.client("sagemaker", region)
    summaries = collector.pages(target, client, list_operation, key)
    if summaries is None:
        return None
    if kind == "training_jobs":
        summaries = sorted(summaries, key=lambda job: str(job.get("CreationTime")),
                           reverse=True)[:MAX_TRAINING_JOBS]

    def describe_one(summary):
        name = summary[name_field]
        reply = collector.call(f"{target}:{name}", getattr(client, describe), **{parameter: name})
        if reply is None:
            return {name_field: name, "describe_failed": True}
        reply.pop("ResponseMetadata", None)
        return reply

    return collector.map(describe_one, summaries)


def collect_sagemaker(collector) -> dict:
    jobs = {(region, kind): collector.section(_resources, collector, region, kind)
            for region in collector.regions for kind in RESOURCES}
    return {region: {kind: jobs[(region, kind)].result() for kind in RESOURCES}
            for region in collector.regions}
