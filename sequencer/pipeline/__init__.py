"""The stages behind the API, each in a module of its own:

    chain.py      the L1 the service settles on: its own anvil, or a node given by URL;
                  contracts deployed once, addresses kept in the database
    watchers.py   L1 queues (registrations -> the accounts directory, deposits, forced
                  withdrawals) and oracle rounds, read at `confirmations` blocks behind the head
    batcher.py    cuts a batch (the preset's slots, or age) with the spec's build_batch on the
                  settled state, and persists it (record and op -> batch) before proving
    prover.py     the proving worker (sequencer.proving.ProvingWorker) for the pipeline
    committee.py  the DA committee: each batch's payload to the members, their signatures back
    submitter.py  submits a proved batch, idempotently (reads the contract's batch number first)
    service.py    the loop: recover, watch, cut, prove, submit, settle (ops -> settled,
                  admission.set_settled)
"""
