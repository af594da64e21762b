"""zkclear's sequencer: the executable spec of a batch, the API service, the batcher, storage, the L1 client."""
