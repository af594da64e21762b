"""The stages behind the API, each in a module of its own:

    chain.py      the L1 the service settles on: its own anvil, or a node given by URL;
                  contracts deployed once, addresses kept in the database
    watchers.py   L1 queues (registrations -> the accounts directory, deposits, forced
                  withdrawals) and oracle rounds, read at `confirmations` blocks behind the head
    batcher.py    cuts a batch (the preset's slots, or age) with the spec's build_batch on the
                  settled state, and persists it (record and op -> batch) before proving
    prover.py     the proving stage: submits cut batches to the pool, waits for their proofs
    pool.py       the proving pool: one worker process (default), or a Dask cluster of
                  workers each holding the key (`--provers N`, `--cluster ADDRESS`)
    submitter.py  submits a proved batch, idempotently (reads the contract's batch number first)
    service.py    the loop: recover, watch, cut (ahead, up to the pool's size), prove,
                  submit and settle in batch order (ops -> settled, admission.set_settled)
"""
