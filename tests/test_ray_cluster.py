"""A Ray cluster of two nodes with one CPU each, on this machine (``ray.cluster_utils``): the
app joins it by address, a 2-fold run trains one fold per node, and a small sweep runs there."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.audio.mel import PRESETS
from core.demo import generate_demo
from core.runs import RunStatus, create_run, load_run, worker
from core.runs.kinds.train import run_config, train_now
from core.sweeps import create_sweep, parse_param, sweep_job
from core.training.config import preset

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(monkeypatch_module):
    import ray
    from ray.cluster_utils import Cluster

    assert not ray.is_initialized()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    monkeypatch_module.setenv("GENRELAB_EXECUTOR", "ray")
    monkeypatch_module.setenv("GENRELAB_RAY_ADDRESS", cluster.address)  # joined by the executor
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def demo_set(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "set"
    return generate_demo(root, seed=0, clips_per_genre=4, seconds=3.0)


def _config(dataset: Path):
    train = preset(
        "paper", "torch", epochs=1, k=2, batch_size=8, patience=0, val_fraction=0.0, time_crop=0
    )
    return run_config(str(dataset), train, mel=PRESETS["fast"])


def test_a_run_and_a_sweep_on_a_two_node_cluster(cluster, demo_set, tmp_path):
    import ray

    run = train_now(_config(demo_set), root=tmp_path)
    assert ray.is_initialized() and len(ray.nodes()) == 2
    assert run.status is RunStatus.COMPLETED and run.folds() == [0, 1]
    assert len(run.summary["fold_acc"]) == 2

    sweep = create_sweep(_config(demo_set), [parse_param("lr=0.001,0.01")], root=tmp_path)
    job = create_run(sweep_job(sweep), root=tmp_path)
    worker.main(job.dir)
    assert load_run(job.id, tmp_path).status is RunStatus.COMPLETED
    trials = sweep.trials()
    assert list(trials["state"]) == ["complete", "complete"]
    for run_id in trials["run_id"]:
        assert load_run(run_id, tmp_path).folds() == [0, 1]
