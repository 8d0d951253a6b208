"""Invoice PDFs in batch: the pages are built while the worker processes lay out the
first ones, not all before."""

import io
from concurrent.futures import Future

import pikepdf
import pytest

from family_portal.billing import documents
from family_portal.certificates import rendering


class InProcessPool:
    """Stands for the process pool: runs each chunk here, and notes when."""

    def __init__(self, events, **options):
        self.events = events

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, function, jobs, *args):
        self.events.append(("submitted", len(jobs)))
        future = Future()
        future.set_result(function(jobs, *args))
        return future


@pytest.mark.django_db
def test_a_batch_s_pages_go_to_the_workers_as_they_are_built(monkeypatch):
    events = []
    monkeypatch.setattr(
        rendering, "ProcessPoolExecutor", lambda **o: InProcessPool(events, **o)
    )

    def pages():
        for index in range(5):
            events.append(("built", index))
            yield (
                f'<html lang="fr"><head><title>Facture {index}</title></head>'
                f"<body><p>Ligne {index}</p></body></html>"
            )

    pdfs = rendering.render_pages(
        pages(), stylesheet=documents.STYLESHEET, chunk_size=2, workers=2
    )
    assert len(pdfs) == 5
    for index, data in enumerate(pdfs):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert str(pdf.docinfo["/Title"]) == f"Facture {index}"
    # The first chunk left before the last pages were built.
    assert events.index(("submitted", 2)) < events.index(("built", 4))
    assert [e for e in events if e[0] == "submitted"] == [
        ("submitted", 2),
        ("submitted", 2),
        ("submitted", 1),
    ]


@pytest.mark.django_db
def test_a_lay_out_task_lays_out_in_its_own_worker_process(monkeypatch):
    """A ``db_worker`` is already one process per core: its task must not spawn more
    (each loading WeasyPrint and the fonts again, for every task)."""

    def no_pool(**options):
        raise AssertionError("a lay-out task started a process pool")

    monkeypatch.setattr(rendering, "ProcessPoolExecutor", no_pool)
    laid_out = []
    monkeypatch.setattr(
        documents,
        "store_pdf",
        lambda invoice, data: laid_out.append((invoice, data)),
    )
    monkeypatch.setattr(documents, "send", lambda invoice: False)

    class Draft:
        def __init__(self, number):
            self.number, self.pdf = number, None

    # More than one chunk: the pages would have gone to a pool of processes.
    drafts = [Draft(f"F-{index}") for index in range(rendering.CHUNK_SIZE + 1)]
    monkeypatch.setattr(documents, "_invoices", lambda ids: drafts)
    monkeypatch.setattr(
        documents,
        "render_html",
        lambda invoice, commune, logo=None, **shared: (
            f'<html lang="fr"><head><title>Facture {invoice.number}</title></head>'
            f"<body><p>{invoice.number}</p></body></html>"
        ),
    )
    from family_portal.billing import tasks

    assert tasks.lay_out_invoices.call(list(range(len(drafts)))) == len(drafts)
    assert [invoice for invoice, _ in laid_out] == drafts
    assert all(data.startswith(b"%PDF") for _, data in laid_out)
