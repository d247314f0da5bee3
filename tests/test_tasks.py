"""Task tables (docs/methods.md §2)."""

import numpy as np
import pytest

from ghostlearn.tasks import dcdt, delayed_activation, delayed_activation_1d, dmts, make_task, task_name


def test_delayed_activation_1d_switches_after_T():
    task = delayed_activation_1d(100, 0.1)
    assert len(task) == 2000
    assert task["step"].iloc[0] == 1 and task["step"].iloc[-1] == 2000
    assert task.loc[task["step"] <= 1000, "target"].eq(0).all()
    assert task.loc[task["step"] > 1000, "target"].eq(1).all()
    np.testing.assert_allclose(task["time"].iloc[-1], 200.0)


def test_delayed_activation_rnn():
    task = delayed_activation(20)
    assert len(task) == 40
    np.testing.assert_array_equal(task["target"], [0] * 20 + [1] * 20)
    assert task["input"].eq(0).all()


def test_dcdt_segments_and_class_order():
    task = dcdt(2, 10, 10, trials_per_class=3)
    assert task["trial"].nunique() == 6
    assert task.groupby("trial").size().eq(22).all()
    first = task[task["trial"] == 0]
    np.testing.assert_array_equal(first["input"], [1, 1] + [0] * 20)
    np.testing.assert_array_equal(first["target"], [0] * 12 + [1] * 10)
    second = task[task["trial"] == 1]
    np.testing.assert_array_equal(second["target"], [0] * 12 + [-1] * 10)
    assert list(task.groupby("trial")["cls"].first()) == [0, 1, 0, 1, 0, 1]


def test_dmts_match_and_non_match():
    task = dmts(6, 16, 10, trials_per_class=2)
    assert task.groupby("trial").size().eq(38).all()
    responses = task[task["step"] >= 28].groupby("trial")["target"].first().tolist()
    assert responses == [1, 1, 0, 0, 1, 1, 0, 0]
    trial = task[task["trial"] == 2]
    np.testing.assert_array_equal(trial["input"].iloc[:6], -1)
    np.testing.assert_array_equal(trial["input"].iloc[22:28], 1)
    assert trial["target"].iloc[:28].eq(0).all()


def test_make_task_and_names():
    spec = {"kind": "delayed_activation_1d", "T": 100, "dt": 0.1}
    assert len(make_task(spec)) == 2000
    assert task_name(spec) == "delayed_activation_1d_T100_dt0.1"
    with pytest.raises(ValueError, match="unknown task"):
        make_task({"kind": "xor"})
