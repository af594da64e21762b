"""Solidity side of zkclear: the Groth16 verifier template, the build script and artifacts.

- ``verifier_contracts.build``: ``render_verifier(vk_json)``, ``compile_sources(...)``
  (solc-js via node, build time only), ``python -m verifier_contracts.build``.
- ``verifier_contracts.evm``: deploy artifacts and call ``verifyProof`` on an embedded
  chain (eth-tester/py-evm) or a node URL (anvil); needs no node.
- ``verifier_contracts.gas_report``: verifier gas per public input vs on-chain hashing.
"""

__all__ = ["render_verifier", "compile_sources"]


def __getattr__(name: str):
    # Lazy, so `python -m verifier_contracts.build` does not import build twice.
    if name in __all__:
        from verifier_contracts import build

        return getattr(build, name)
    raise AttributeError(name)
