"""FFCV's `DatasetWriter` (ffcv 1.0.2) with a writing loop that cannot hang.

FFCV's own `_write_common` starts its worker processes and then waits in
`while done != num_samples: sleep(0.1)`, and afterwards in a blocking
`allocations_queue.get()`. A worker that fails (ENOSPC while flushing a page, an error
in a field's encoder, the OOM killer) never advances the counter and never sends its
allocations, so the main process waits forever, holding the temp file and a shared
memory segment; a re-run hangs the same way. `Writer` below runs the same steps but
watches the workers: the first one that dies ends the write within a fraction of a
second with its error (`WriteError`), and the workers, shared memory and queues are
always cleaned up (a queue of unread work would also hang the process when it exits).
The temp file is the caller's to remove (`lmc.data.beton.write_beton` does).

This module imports FFCV at the top; import it lazily (FFCV resets torch's threads).
"""
from __future__ import annotations

import ctypes
import queue
import time
from multiprocessing import Process, Queue, Value

from ffcv.memory_allocator import MemoryAllocator
from ffcv.types import ALLOC_TABLE_TYPE, FieldDescType, HeaderType, get_metadata_type
from ffcv.utils import align_to_page
from ffcv.writer import MIN_PAGE_SIZE, DatasetWriter

POLL_S = 0.05
PAGE_SIZE = 4 * MIN_PAGE_SIZE        # DatasetWriter's default


class WriteError(RuntimeError):
    """A writer worker failed; the message is its error in one line."""


def _reporting_worker(errors: Queue, work_fn, *args) -> None:
    """A worker that sends its error to the parent before dying (the traceback still goes
    to stderr, i.e. the job's log)."""
    try:
        work_fn(*args)
    except BaseException as e:
        errors.put(f"{type(e).__name__}: {' '.join(str(e).split())}"[:300])
        raise


class Writer(DatasetWriter):
    """`DatasetWriter` whose `_write_common` fails fast instead of hanging (see module doc)."""

    def _write_common(self, num_samples, queue_content, work_fn, extra_worker_args):
        self.num_samples = num_samples
        self.prepare()                      # header and field descriptors; creates the shared memory
        processes: list[Process] = []
        queues: list[Queue] = []
        try:
            workqueue: Queue = Queue()
            queues.append(workqueue)
            for todo in queue_content:
                workqueue.put(todo)
            for _ in range(self.num_workers):
                workqueue.put(None)
            allocations_queue: Queue = Queue()
            errors: Queue = Queue()
            queues += [allocations_queue, errors]
            done_number = Value(ctypes.c_uint64, 0)
            allocator = MemoryAllocator(self.fname, self.data_region_start, self.page_size)
            worker_args = (workqueue, self.metadata_sm, self.metadata_type, self.fields, allocator,
                           done_number, allocations_queue, *extra_worker_args)
            processes = [Process(target=_reporting_worker, args=(errors, work_fn, *worker_args), daemon=True)
                         for _ in range(self.num_workers)]
            for p in processes:
                p.start()
            while done_number.value != self.num_samples:
                self._raise_if_died(processes, errors)
                if all(p.exitcode == 0 for p in processes) and done_number.value != self.num_samples:
                    raise WriteError(f"workers ended after {done_number.value} of {self.num_samples} samples")
                time.sleep(POLL_S)
            allocation_list = []
            for _ in processes:             # each worker sends its allocations once its last page is out
                polls_since_all_exited = 0
                while True:
                    try:
                        allocation_list.extend(allocations_queue.get(timeout=POLL_S))
                        break
                    except queue.Empty:
                        self._raise_if_died(processes, errors)
                        # a worker that exited has flushed what it sent; allow a few polls to read it
                        polls_since_all_exited += all(p.exitcode == 0 for p in processes)
                        if polls_since_all_exited > 20:
                            raise WriteError("workers ended without sending their page allocations")
            for p in processes:
                p.join()
            self.finalize(allocation_list)
        except BaseException:
            # work nobody will read is still queued: without this, this process would hang
            # when it exits, its queue feeder threads waiting for a reader of their pipes
            for q in queues:
                q.cancel_join_thread()
            raise
        finally:
            for p in processes:
                if p.is_alive():
                    p.terminate()
                    p.join(timeout=5)
            self.metadata_sm.close()
            self.metadata_sm.unlink()

    @staticmethod
    def _raise_if_died(processes, errors: Queue) -> None:
        dead = [p for p in processes if p.exitcode not in (None, 0)]
        if dead:
            try:
                message = errors.get(timeout=1.0)
            except queue.Empty:             # killed from outside (OOM killer, signal)
                message = f"worker process ended with exit code {dead[0].exitcode}"
            raise WriteError(message)


def size_bytes(fields, num_samples: int, sample_bytes: int, page_size: int = PAGE_SIZE) -> int:
    """The exact size of the file `Writer` makes with one worker: header, field
    descriptors and per-sample metadata padded to a page, then whole pages of samples
    (`sample_bytes` each, none split across pages), then the allocation table (one
    entry per sample that allocates, i.e. `sample_bytes` > 0)."""
    head = HeaderType.itemsize + len(fields) * FieldDescType.itemsize
    head += num_samples * get_metadata_type(list(fields.values())).itemsize
    if not sample_bytes:
        return head
    per_page = page_size // sample_bytes
    pages = -(-num_samples // per_page)
    return align_to_page(head, page_size) + pages * page_size + num_samples * ALLOC_TABLE_TYPE.itemsize
