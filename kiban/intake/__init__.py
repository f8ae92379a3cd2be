"""Municipal report intake (報告受付): landing folder, HTTP submissions, tokens, receipts, batches.

Every submission follows one path (:func:`kiban.intake.batch.process_batch`): archived as received
(``RawArchive``, content-addressed) with a receipt, parsed and validated (pure Python, then one Great
Expectations run per report type per batch), and stored in ONE lake transaction per batch. A submission with
a blocking error is quarantined on its own (with a report its submitter can fetch); the rest of the batch is
stored. See ``docs`` in each module: ``landing`` (partially written files), ``tokens`` (who may submit what),
``receipts`` (受付票), ``batcher`` (the HTTP server's background writer).
"""
