"""Stand-in with BiRefNet's remote-code interface: it tests loading plumbing, not quality.

It keeps the traits of the real remote code that break loaders: the model swaps its
transformers config for a plain object, never calls post_init, holds a non-persistent
buffer computed in __init__ (like Swin's relative position index), needs sides that are
multiples of 32, and returns a list of logit maps whose last one is the prediction.
It also builds an attention mask at run time and multiplies activations by it, as Swin's
shifted windows do: in float32, as RMBG-2.0's copy of the code does, so half precision
fails there with "expected m1 and m2 to have the same dtype"; ZhengPeng7's repos cast the
mask to the input's dtype (MASK_FOLLOWS_INPUT, set per repo by the test factory).
Its head is a modulated deformable convolution (torchvision's deform_conv2d, as BiRefNet's
ASPPDeformable decoder uses), so an ONNX export without a symbolic for it fails as the real
export does; with zero offsets and unit modulation it is the 1x1 convolution it holds.
Its "segmentation" is red minus green, so tests can tell loaded weights from random ones.
"""

import torch
from torch import nn
from torchvision.ops import deform_conv2d
from transformers import PreTrainedModel

from .BiRefNet_config import BiRefNetConfig

MASK_FOLLOWS_INPUT = True


class Config:
    def __init__(self) -> None:
        self.batch_size = 1


class BiRefNet(PreTrainedModel):
    config_class = BiRefNetConfig

    def __init__(self, bb_pretrained=True, config=BiRefNetConfig()):  # noqa: B008 - as upstream
        super().__init__(config)
        if config.bb_pretrained:
            raise RuntimeError("stand-in: would download backbone weights")
        self.config = Config()
        self.head = nn.Conv2d(3, 1, kernel_size=1)
        self.register_buffer("position_index", torch.arange(16).float(), persistent=False)
        self.seen = []

    def forward(self, x):
        if x.shape[-1] % 32 or x.shape[-2] % 32:
            raise ValueError(f"sides must be multiples of 32, got {tuple(x.shape[-2:])}")
        if float(self.position_index.sum()) != 120.0:
            raise RuntimeError("non-persistent buffer was not initialised")
        self.seen.append((tuple(x.shape[-2:]), x.dtype))
        mask = torch.zeros(x.shape[-1], x.shape[-1])  # float32, whatever the input
        if MASK_FOLLOWS_INPUT:
            mask = mask.to(x.dtype)
        offset = x[:, :2] * 0  # computed from the input, as BiRefNet's offset convolutions
        modulator = 2 * torch.sigmoid(x[:, :1] * 0)
        head = deform_conv2d(x, offset, self.head.weight, self.head.bias, mask=modulator)
        logits = head + x[:, :1] @ mask  # the mask adds nothing but its dtype
        return [logits * 0.5, logits]
