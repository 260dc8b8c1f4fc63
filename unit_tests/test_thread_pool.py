"""The thread pool's check for room (source.PromptThreadPoolManager): a generator at the cap waits for a
reader to finish a partition, instead of the CDK enqueuer's 100 ms nap."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from airbyte_cdk.sources.streams.concurrent import partition_enqueuer

from source_bigcommerce.source import PromptThreadPoolManager


def pool_at_cap(cap):
    """A manager whose `cap` tasks each wait for their own event."""
    manager = PromptThreadPoolManager(ThreadPoolExecutor(max_workers=cap + 1), logging.getLogger("test"), max_concurrent_tasks=cap)
    releases = [threading.Event() for _ in range(cap)]
    for release in releases:
        manager.submit(release.wait, 30)
    return manager, releases


def check_in_thread(manager):
    answer = {}
    thread = threading.Thread(target=lambda: answer.setdefault("full", manager.prune_to_validate_has_reached_futures_limit()))
    thread.start()
    return thread, answer


def test_given_the_cap_reached_when_a_task_finishes_then_the_check_answers_room():
    manager, releases = pool_at_cap(3)
    manager.WAIT_SECONDS = 30
    thread, answer = check_in_thread(manager)
    thread.join(timeout=0.3)
    assert thread.is_alive(), "at the cap, the check waits instead of answering full"

    releases[0].set()
    thread.join(timeout=10)

    assert answer == {"full": False}
    for release in releases:
        release.set()


def test_given_a_new_task_submitted_as_one_finishes_then_the_check_waits_for_the_next_one():
    manager, releases = pool_at_cap(2)
    manager.WAIT_SECONDS = 30
    thread, answer = check_in_thread(manager)
    more = threading.Event()

    releases[0].set()
    manager.submit(more.wait, 30)  # the main thread submits a partition put on the queue earlier
    thread.join(timeout=0.5)
    assert thread.is_alive() or answer == {"full": False}  # the finish may have been seen before the submit
    releases[1].set()
    thread.join(timeout=10)

    assert answer == {"full": False}
    more.set()


def test_given_no_task_finishes_within_the_wait_then_the_check_answers_full():
    manager, releases = pool_at_cap(2)
    manager.WAIT_SECONDS = 0.05

    assert manager.prune_to_validate_has_reached_futures_limit() is True
    for release in releases:
        release.set()


def test_given_room_then_the_check_answers_at_once():
    manager = PromptThreadPoolManager(ThreadPoolExecutor(max_workers=2), logging.getLogger("test"), max_concurrent_tasks=3)
    manager.WAIT_SECONDS = 30
    manager.submit(lambda: None)

    assert manager.prune_to_validate_has_reached_futures_limit() is False


def test_given_a_sync_against_a_prompt_store_then_the_cdk_enqueuer_never_naps(monkeypatch):
    """A store answering in a millisecond: the generators never hear "full" long enough to sleep."""
    import json
    import time

    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer

    from integration_tests.connector import catalog_for, config_for
    from local_store import LocalStore
    from source_bigcommerce.source import SourceBigCommerce

    naps = []
    real_sleep = time.sleep
    monkeypatch.setattr(partition_enqueuer.time, "sleep", lambda seconds: (naps.append(seconds), real_sleep(seconds)))
    monkeypatch.setattr(PromptThreadPoolManager, "WAIT_SECONDS", 60.0)
    with LocalStore(seed=3, scale=0.1) as store:
        config = config_for(store.base_url, start_date="2015-01-01", num_workers=1)
        catalog = ConfiguredAirbyteCatalogSerializer.load(catalog_for(("orders", "transactions")))
        source = SourceBigCommerce(catalog, config, None)
        messages = [json.loads(m) if isinstance(m, str) else m for m in source.read(logging.getLogger("airbyte"), config, catalog, None)]
        transactions_requests = sum(n for route, n in store.stats()["by_route"].items() if "transactions" in route)

    assert transactions_requests > 20, "the sync read one transactions listing per order"
    assert naps == []
    assert any(getattr(m, "type", None) is not None and m.type.name == "RECORD" for m in messages)
