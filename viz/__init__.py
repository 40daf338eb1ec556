"""Pictures of tracegrad graphs: the forward graph, the recorded backward graph, and the seed's toy model."""

from viz.chains import chain_activations, chain_derivative, tanh_chain
from viz.dot import draw_backward, draw_forward
from viz.explorer import explore
from viz.figures import correlation_figure, kernel_gradient_figure, write_seed_figures
from viz.plots import chain_gradients, feature_maps, gradient_vs_depth
from viz.renderer import RendererNotFound, find_renderer, render, render_frames, use_renderer
from viz.scale import GradientScale
from viz.steps import backward_steps
from viz.trace import Graph, trace

__all__ = [
    "Graph", "GradientScale", "RendererNotFound", "backward_steps", "chain_activations", "chain_derivative",
    "chain_gradients", "correlation_figure", "draw_backward", "draw_forward", "explore", "feature_maps",
    "find_renderer",
    "gradient_vs_depth", "kernel_gradient_figure", "render", "render_frames", "tanh_chain", "trace",
    "use_renderer", "write_seed_figures",
]
