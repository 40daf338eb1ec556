"""Pictures and toy models for tracegrad graphs."""

from viz.chains import chain_activations, chain_derivative, tanh_chain

__all__ = ["chain_activations", "chain_derivative", "tanh_chain"]
