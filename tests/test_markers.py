"""`unit` and `workflow` markers (tests/conftest.py): a test is `workflow` when it, a fixture
or a test helper it calls starts a process of the project."""
import conftest
import test_docs
import test_toy


def test_helpers_that_run_snakemake_are_workflow():
    assert conftest._runs_processes(conftest.assert_config_error)        # it runs Snakemake
    assert conftest._runs_processes(test_docs.planned_jobs)               # through the cached dry_run


def test_in_process_tests_are_unit():
    assert not conftest._runs_processes(test_toy.test_shape)
    assert not conftest._runs_processes(test_toy.test_path_record_derivatives_and_prediction)


def test_every_collected_test_has_one_of_the_markers(request):
    items = request.session.items
    kinds = [{m.name for m in item.iter_markers()} & {"unit", "workflow", "slurm"} for item in items]
    assert all(len(k) == 1 for k in kinds)                          # (under -m, of the selected ones)
