"""What can be checked here of the deployment files (no container engine, no helm, no Kubernetes): the Helm
values against the chart's value schema (deploy/helm/values.schema.json), the Dagster instance settings against
Dagster's and dagster-k8s's own config schemas, names that must agree across files, the container build file."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def values() -> dict:
    return yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text(encoding="utf-8"))


def validator() -> jsonschema.Draft7Validator:
    schema = json.loads((DEPLOY / "helm" / "values.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_the_helm_values_follow_the_charts_schema():
    assert list(validator().iter_errors(values())) == []


def test_the_values_schema_refuses_a_misspelt_key_and_a_wrong_type():
    bad = copy.deepcopy(values())
    bad["runLauncher"]["config"]["k8sRunLauncher"]["envSecret"] = [{"name": "kiban-s3"}]
    assert any("envSecret" in e.message for e in validator().iter_errors(bad))
    bad = copy.deepcopy(values())
    bad["concurrency"]["runs"]["maxConcurrentRuns"] = "fifty"
    assert list(validator().iter_errors(bad))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_the_values_launcher_and_coordinator_are_valid_dagster_config(monkeypatch):
    """The chart renders the K8sRunLauncher and QueuedRunCoordinator config from these values (camelCase keys
    become snake_case, refs become names): validated by dagster-k8s's and Dagster's own schemas."""
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config_schema, validate_concurrency_config
    from dagster._core.run_coordinator import QueuedRunCoordinator
    from dagster_k8s import K8sRunLauncher

    v = values()
    k8s = v["runLauncher"]["config"]["k8sRunLauncher"]
    rendered = {"instance_config_map": "kiban-dagster-instance", "dagster_home": v["global"]["dagsterHome"]}
    for key, value in k8s.items():
        if key in ("envConfigMaps", "envSecrets"):
            value = [ref["name"] for ref in value]
        if key == "runK8sConfig":
            value = {_snake(k): x for k, x in value.items()}
        rendered[_snake(key)] = value
    result = process_config(K8sRunLauncher.config_type(), rendered)
    assert result.success, [e.message for e in result.errors]

    runs = v["concurrency"]["runs"]
    limits = {"max_concurrent_runs": runs["maxConcurrentRuns"], "tag_concurrency_limits": [
        {"key": t["key"], "limit": t["limit"], **({"value": t["value"]} if "value" in t else {})}
        for t in runs["tagConcurrencyLimits"]]}
    assert process_config(QueuedRunCoordinator.config_type(), limits).success
    # and the instance the chart renders from them passes Dagster's own checks (limits in one place only)
    instance = {"run_coordinator": {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator",
                                    "config": v["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]},
                "concurrency": {"runs": limits, "pools": {"default_limit": v["concurrency"]["pools"]["defaultLimit"]}}}
    result = process_config(dagster_instance_config_schema(), instance)
    assert result.success, [e.message for e in result.errors]
    validate_concurrency_config(instance)


@pytest.mark.parametrize("profile", ["server", "cluster"])
def test_each_profiles_dagster_yaml_is_a_valid_instance_config(profile, monkeypatch):
    from dagster._config import process_config
    from dagster._core.instance.config import dagster_instance_config_schema, validate_concurrency_config
    from dagster_k8s import K8sRunLauncher

    monkeypatch.setenv("KIBAN_DAGSTER_PG_URL", "postgresql://dagster@db.example.invalid/dagster")
    config = yaml.safe_load((DEPLOY / profile / "dagster.yaml").read_text(encoding="utf-8"))
    result = process_config(dagster_instance_config_schema(), config)
    assert result.success, [e.message for e in result.errors]
    validate_concurrency_config(config)  # run limits in one place: Dagster refuses them twice
    assert "postgres" in config["storage"] and config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    limits = config["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    if profile == "cluster":
        assert config["run_launcher"]["class"] == "K8sRunLauncher"
        assert process_config(K8sRunLauncher.config_type(), config["run_launcher"]["config"]).success


def test_the_profile_picks_the_dagster_yaml(monkeypatch):
    from kiban.orchestration import REPO_ROOT, instance_yaml

    monkeypatch.delenv("KIBAN_DAGSTER_YAML", raising=False)
    monkeypatch.delenv("KIBAN_PROFILE", raising=False)
    assert instance_yaml() == REPO_ROOT / "dagster.yaml"
    monkeypatch.setenv("KIBAN_PROFILE", "cluster")
    assert instance_yaml() == REPO_ROOT / "deploy" / "cluster" / "dagster.yaml"
    monkeypatch.setenv("KIBAN_PROFILE", "kubernetes")
    with pytest.raises(ValueError, match="KIBAN_PROFILE"):
        instance_yaml()


def test_secret_and_config_names_agree_between_the_chart_values_and_the_manifests():
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "kiban.yaml").read_text(encoding="utf-8")))
    config = next(d for d in docs if d["kind"] == "ConfigMap")
    pvc = next(d for d in docs if d["kind"] == "PersistentVolumeClaim")
    serve = next(d for d in docs if d["kind"] == "Deployment")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    refs = serve["spec"]["template"]["spec"]["containers"][0]["envFrom"]
    secrets = {r["secretRef"]["name"] for r in refs if "secretRef" in r}
    v = values()
    k8s = v["runLauncher"]["config"]["k8sRunLauncher"]
    assert {s["name"] for s in k8s["envSecrets"]} == secrets
    assert [c["name"] for c in k8s["envConfigMaps"]] == [config["metadata"]["name"]]
    assert k8s["volumes"][0]["persistentVolumeClaim"]["claimName"] == pvc["metadata"]["name"]
    # every setting in the ConfigMap is one the code reads
    code = "\n".join(p.read_text(encoding="utf-8") for d in ("kiban", "pipelines") for p in (REPO / d).rglob("*.py"))
    for name in config["data"]:
        assert name in code or name in ("AWS_REGION",), name


def test_the_container_build_file_copies_what_exists_and_runs_the_code_location():
    text = (DEPLOY / "container" / "Containerfile").read_text(encoding="utf-8")
    for source in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", text, re.M):
        for name in source.split():
            assert (REPO / name).exists(), name
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "3.11" in re.search(r"^FROM python:(\S+)", text, re.M).group(1)
    assert project["project"]["requires-python"].startswith(">=3.11")
    make = (REPO / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"pip install uv==(\S+)", text).group(1) == re.search(r"UV_VERSION := (\S+)", make).group(1)
    assert "--no-dev" in text and "--frozen" in text
    module = re.search(r'"-m", "([\w.]+)"\]', text).group(1)
    assert module == "pipelines.definitions" and module.split(".")[0] in project["tool"]["hatch"]["build"][
        "targets"]["wheel"]["packages"]
    for dep in ("dagster-postgres", "dagster-k8s", "duckdb-extension-postgres", "boto3"):
        assert any(d.startswith(dep + "==") for d in project["project"]["dependencies"]), dep
