"""Municipal report intake (報告受付): the durable queue, the intake service, the landing folder, tokens, receipts.

Every submission -- an HTTP body, a landed file, ``kiban reports ingest`` -- is archived as received and goes
through the one load use case (:func:`kiban.load.runner.run_batch` with ``registries.reports.load``): parsed,
authorised against the identity stored with it, validated by Great Expectations (one run per report type per
batch), stored in one lake transaction per batch, and recorded in the ledger with its reasons. See ``queue``
(durable before 202), ``service`` (the long-lived writer), ``landing`` (partially written files, links),
``tokens`` (who may submit what) and ``receipts`` (受付票).
"""
