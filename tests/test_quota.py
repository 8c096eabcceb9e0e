"""Disk quotas in hosted mode (issue 15): uploads, unpacked datasets, feature stores and runs
count per user and in total; a write that would pass a quota is refused before anything is
written (measured as bytes on disk), and users see and delete what they keep."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from core import settings
from core.access import VIEWER, AccessError, Actor, delete_stored, submit_job
from core.audio.mel import MelParams
from core.dataset import discover, library
from core.errors import QuotaError
from core.features import compute_features
from core.runs import RunStatus, create_run, list_runs
from core.storage import quota
from tests.conftest import dead_pid, write_tone

MB = 2**20


@pytest.fixture
def hosted(tmp_path):
    """A hosted server with empty folders, a 2 MB quota per user and 5 MB in total."""
    chosen = dataclasses.replace(
        settings.current(),
        hosted=True,
        quota_user_mb=2,
        quota_total_mb=5,
        data_dir=tmp_path / "data",
        models_dir=tmp_path / "models",
    )
    with settings.use(chosen):
        yield chosen.data_dir


def _on_disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def _random(n: int) -> bytes:
    return np.random.default_rng(n).bytes(n)


def _dataset_zip(tmp_path: Path, clips: int, seconds: float) -> bytes:
    """A folder-per-label dataset of WAV tones, zipped without compression."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(clips):
            path = write_tone(tmp_path / "src" / f"{i}.wav", seconds=seconds, freq=200 + 50 * i)
            zf.write(path, f"{['blues', 'rock'][i % 2]}/{i}.wav")
    return buf.getvalue()


def test_an_upload_over_the_users_quota_is_refused_before_writing(hosted):
    library.save_upload("a.zip", _random(MB))
    library.save_upload("b.zip", _random(MB + 1), actor=Actor("ann"))
    with pytest.raises(QuotaError, match=r"your disk quota of 2 MB \(GENRELAB_QUOTA_USER_MB\)"):
        library.save_upload("c.zip", _random(MB + 2), actor=Actor("ann"))
    assert _on_disk(hosted / "uploads") == 2 * MB + 1
    library.save_upload("c.zip", _random(MB + 2), actor=Actor("bob"))  # bob has his own quota


def test_everyones_uploads_count_to_the_servers_quota(hosted):
    for i, user in enumerate(["ann", "bob", "cy", "dee"]):
        library.save_upload(f"{i}.zip", _random(MB + i), actor=Actor(user))
    with pytest.raises(QuotaError, match="this server's disk quota of 5 MB"):
        library.save_upload("e.zip", _random(MB + 9), actor=Actor("eve"))
    assert _on_disk(hosted / "uploads") == 4 * MB + 6


def test_unpacking_past_the_uploaders_quota_leaves_nothing(hosted, tmp_path):
    """A small zip that unpacks to more than the uploader has left: refused while unpacking,
    no bytes left in data/unpacked."""
    data = _dataset_zip(tmp_path, clips=8, seconds=2.0)  # 8 x 88 kB of WAV
    archive = library.save_upload("songs.zip", data, actor=Actor("ann"))
    big = library.save_upload("big.zip", _random(3 * MB // 4), actor=Actor("ann"))
    with pytest.raises(QuotaError, match="Cannot unpack songs-.*your disk quota"):
        discover(archive, unpack_root=hosted / "unpacked")
    assert _on_disk(hosted / "unpacked") == 0
    delete_stored("uploads", big.name, Actor("ann"))
    assert len(discover(archive, unpack_root=hosted / "unpacked").usable) == 8
    assert [i.category for i in quota.items("ann")] == ["uploads", "datasets"]


def test_a_feature_store_past_the_quota_is_refused_before_writing(hosted, tmp_path):
    for i in range(4):
        write_tone(tmp_path / "set" / ["blues", "rock"][i % 2] / f"{i}.wav", seconds=2.0)
    manifest = discover(tmp_path / "set").manifest
    params = MelParams(duration=2.0, n_mels=512, n_fft=4096, hop_length=32)  # 4 x 1.4 MB
    with pytest.raises(QuotaError, match="Cannot build these features"):
        compute_features(manifest, params, user="ann")
    assert _on_disk(hosted / "features") == 0
    store = compute_features(manifest, params.replace(n_mels=64, hop_length=512), user="ann")
    assert [(i.category, i.name, i.user) for i in quota.items("ann")] == [
        ("features", store.key, "ann")
    ]


def test_a_user_over_quota_cannot_start_a_run(hosted):
    library.save_upload("a.zip", _random(2 * MB), actor=Actor("ann"))
    config = {"dataset": "demo", "input": {"image": "crop"}}
    with pytest.raises(QuotaError, match="Cannot start a run"):
        submit_job(config, name="x", user="ann", root=settings.current().models_dir)
    assert list_runs(settings.current().models_dir) == []


def test_usage_per_user_and_category_and_deleting_ones_own(hosted):
    library.save_upload("a.zip", _random(1000), actor=Actor("ann"))
    library.save_upload("b.zip", _random(2000), actor=Actor("bob"))
    run = create_run({"dataset": "demo", "input": {"image": "crop"}}, user="ann")
    run.set_status(RunStatus.FAILED)
    table = quota.usage()
    assert table[["user", "category", "items"]].values.tolist() == [
        ["ann", "runs", 1],
        ["ann", "uploads", 1],
        ["bob", "uploads", 1],
    ]
    assert table.loc[table["user"] == "bob", "bytes"].item() == 2000
    bobs = quota.items("bob")[0]
    with pytest.raises(AccessError, match="Only bob"):
        delete_stored("uploads", bobs.name, Actor("ann"))
    with pytest.raises(AccessError, match="read-only"):
        delete_stored("runs", run.id, Actor("ann", VIEWER))
    delete_stored("runs", run.id, Actor("ann"))
    delete_stored("uploads", quota.items("ann")[0].name, Actor("ann"))
    assert [i.user for i in quota.items()] == ["bob"]
    assert _on_disk(hosted / "uploads") == 2000


def test_no_quota_outside_hosted_mode(hosted):
    with settings.use(dataclasses.replace(settings.current(), hosted=False)):
        library.save_upload("a.zip", _random(3 * MB), actor=Actor("ann"))
        assert quota.room("ann") is None


def _upload_as_ann(n: int) -> str:
    """One of several processes uploading for ann at once (see the test below)."""
    try:
        library.save_upload(f"{n}.zip", _random(3 * MB // 4 + n), actor=Actor("ann"))
    except QuotaError:
        return "refused"
    return "saved"


def test_parallel_uploads_of_one_user_cannot_pass_the_quota_together(hosted):
    from tests.test_concurrency import run_together

    outcomes = run_together([(_upload_as_ann, (n,)) for n in range(4)])
    assert sorted(outcomes) == ["refused", "refused", "saved", "saved"]  # 2 x 0.75 MB fit in 2 MB
    assert _on_disk(hosted / "uploads") <= 2 * MB
    assert quota._reserved() == []  # every reservation released


def test_a_killed_writers_reservation_is_not_counted(hosted):
    gone = dead_pid()
    folder = hosted / ".owners" / ".reserved"
    folder.mkdir(parents=True)
    (folder / f"{gone}-dead.json").write_text('{"user": "ann", "bytes": 2097152}')
    with quota.reserve("ann", MB, "write") as held:  # the dead 2 MB do not count
        assert held == MB and quota._reserved() == [("ann", MB)]
        with pytest.raises(QuotaError, match="your disk quota"):
            library.save_upload("big.zip", _random(MB + 1), actor=Actor("ann"))  # 1 MB held
    assert not (folder / f"{gone}-dead.json").exists()
