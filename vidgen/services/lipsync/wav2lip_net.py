"""The Wav2Lip generator (Prajwal et al., ACM MM 2020), rebuilt from its published architecture.

    net = build()                                   # an nn.Module, random weights
    net.load_state_dict(state, strict=True)         # the authors' wav2lip_gan.pth, "module." stripped
    images = net(mels, faces)                       # (B, 1, 80, 16), (B, 6, 96, 96) -> (B, 3, 96, 96)

A U-Net: the face encoder takes the masked face and the reference face (6 channels, 96 x 96) down
to 512 x 1 x 1 in seven stages, the audio encoder takes one mel window (1 x 80 x 16) to 512 x 1 x 1,
and the decoder climbs back from the audio embedding, each stage concatenating the encoder's
feature map of the same size. The layer tables below hold the published numbers; the module and
attribute names (`face_encoder_blocks.<stage>.<layer>.conv_block.<0 conv | 1 norm>`,
`audio_encoder.<layer>...`, `face_decoder_blocks...`, `output_block...`) are the checkpoint's key
layout, so its state dict loads strictly. About 36.3 M parameters.

torch is imported when `build()` runs, never at import.
"""

from __future__ import annotations

from typing import Any

# One layer: (in, out, kernel, stride, padding, residual). A residual layer keeps its shape.
Layer = tuple[int, int, int, Any, int, bool]


def _stage(cin: int, cout: int, stride: Any, repeats: int) -> list[Layer]:
    """A strided 3x3 layer, then `repeats` residual 3x3 layers at its width."""
    return [(cin, cout, 3, stride, 1, False)] + [(cout, cout, 3, 1, 1, True)] * repeats


FACE_ENCODER: list[list[Layer]] = [
    [(6, 16, 7, 1, 3, False)],  # 96
    _stage(16, 32, 2, 2),  # 48
    _stage(32, 64, 2, 3),  # 24
    _stage(64, 128, 2, 2),  # 12
    _stage(128, 256, 2, 2),  # 6
    _stage(256, 512, 2, 1),  # 3
    [(512, 512, 3, 1, 0, False), (512, 512, 1, 1, 0, False)],  # 1
]

AUDIO_ENCODER: list[Layer] = (
    _stage(1, 32, 1, 2)  # 80 x 16
    + _stage(32, 64, (3, 1), 2)  # 27 x 16
    + _stage(64, 128, 3, 2)  # 9 x 6
    + _stage(128, 256, (3, 2), 1)  # 3 x 3
    + [(256, 512, 3, 1, 0, False), (512, 512, 1, 1, 0, False)]  # 1 x 1
)

# Decoder stages after the first: (in, out, stride, padding, output padding, residual layers). The
# input width is the previous stage's output plus the skip it was concatenated with.
FACE_DECODER_UP: list[tuple[int, int, int, int, int, int]] = [
    (1024, 512, 1, 0, 0, 1),  # 1 -> 3
    (1024, 512, 2, 1, 1, 2),  # 3 -> 6
    (768, 384, 2, 1, 1, 2),  # 6 -> 12
    (512, 256, 2, 1, 1, 2),  # 12 -> 24
    (320, 128, 2, 1, 1, 2),  # 24 -> 48
    (160, 64, 2, 1, 1, 2),  # 48 -> 96
]


def build() -> Any:
    """The generator: an nn.Module with random weights, in training mode (call `.eval()` to run it)."""
    import torch
    from torch import nn

    class ConvBlock(nn.Module):
        """Conv (or transposed conv) + BatchNorm + ReLU; a residual block adds its input before the ReLU."""

        def __init__(self, cin: int, cout: int, kernel: int, stride: Any, padding: int, residual: bool = False,
                     transpose: bool = False, output_padding: int = 0) -> None:
            super().__init__()
            conv = (nn.ConvTranspose2d(cin, cout, kernel, stride, padding, output_padding) if transpose
                    else nn.Conv2d(cin, cout, kernel, stride, padding))
            self.conv_block = nn.Sequential(conv, nn.BatchNorm2d(cout))
            self.act = nn.ReLU()
            self.residual = residual

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            out = self.conv_block(x)
            return self.act(out + x if self.residual else out)

    def layers(table: list[Layer]) -> list[nn.Module]:
        return [ConvBlock(*row) for row in table]

    class Wav2Lip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.face_encoder_blocks = nn.ModuleList(nn.Sequential(*layers(stage)) for stage in FACE_ENCODER)
            self.audio_encoder = nn.Sequential(*layers(AUDIO_ENCODER))
            decoder = [nn.Sequential(ConvBlock(512, 512, 1, 1, 0))]
            for cin, cout, stride, padding, out_pad, repeats in FACE_DECODER_UP:
                up = ConvBlock(cin, cout, 3, stride, padding, transpose=True, output_padding=out_pad)
                decoder.append(nn.Sequential(up, *layers([(cout, cout, 3, 1, 1, True)] * repeats)))
            self.face_decoder_blocks = nn.ModuleList(decoder)
            self.output_block = nn.Sequential(ConvBlock(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0), nn.Sigmoid())

        def forward(self, mels: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
            """(B, 1, 80, 16) mel windows and (B, 6, 96, 96) masked + reference faces -> (B, 3, 96, 96) in 0..1."""
            skips = []
            x = faces
            for stage in self.face_encoder_blocks:
                x = stage(x)
                skips.append(x)
            x = self.audio_encoder(mels)
            for stage in self.face_decoder_blocks:
                x = torch.cat((stage(x), skips.pop()), dim=1)
            return self.output_block(x)

    return Wav2Lip()


def parameter_count(net: Any) -> int:
    return sum(p.numel() for p in net.parameters())
