"""Stand-in with BEN2.py's interface (BEN_Base, loadcheckpoints, forward -> sigmoid mask).

It tests the loading plumbing, not matting quality: its mask is red minus green. Like the
real module it changes global torch settings when imported.
"""

import torch
from torch import nn

torch.set_float32_matmul_precision("highest")
torch.backends.cudnn.deterministic = True


class BEN_Base(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Conv2d(3, 1, kernel_size=1)
        self.seen = []

    def loadcheckpoints(self, model_path):
        model_dict = torch.load(model_path, map_location="cpu", weights_only=True)
        self.load_state_dict(model_dict["model_state_dict"], strict=True)

    def forward(self, x):
        self.seen.append(tuple(x.shape[-2:]))
        return torch.sigmoid(self.head(x))
