"""`uv run python tools/selfie_onnx.py [general] [landscape]`: MediaPipe Selfie as ONNX.

Converts models/assets/selfie_segmentation.tflite (the general model, 256x256) and
selfie_segmentation_landscape.tflite (the landscape one, 144x256, h x w), both from the
mediapipe 0.10.21 wheel, into the .onnx beside each (both without arguments). A one-time
conversion, kept to show how the shipped .onnx files were made and to remake them.
Each model is a small MobileNetV3-style network: eleven TFLite operators, one of them
MediaPipe's own (Convolution2DTransposeBias), which neither the stock TFLite runtime nor the
usual converters know; each maps onto one or two ONNX operators. The two differ in their
input size and in their squeeze-and-excitation blocks' global pooling (AVERAGE_POOL_2D
over the whole map in the general model, MEAN over height and width in the landscape one).
The ONNX graph computes in NCHW; its input stays NHWC float32 in [0, 1], as the TFLite one.

Needs the dev group's `onnx` and `tflite` (the flatbuffer schema, no TensorFlow).
"""

from __future__ import annotations

import argparse
import struct
import sys
from pathlib import Path

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

ASSETS = Path(__file__).resolve().parent.parent / "models" / "assets"
MODELS = {  # name, as the ONNX doc string gives it: its .tflite in models/assets
    "general": "selfie_segmentation.tflite",
    "landscape": "selfie_segmentation_landscape.tflite",
}
SOURCE = ASSETS / MODELS["general"]
TARGET = SOURCE.with_suffix(".onnx")
KINDS = {file: name for name, file in MODELS.items()}
OPSET = 17

BUILTIN_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
NUMPY_TYPES = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
               tflite.TensorType.INT32: np.int32}  # fmt: skip
ACTIVATIONS = {tflite.ActivationFunctionType.NONE: None, tflite.ActivationFunctionType.RELU: "Relu"}
TF_SAME = tflite.Padding.SAME
C_SAME = 1  # TfLitePadding in a custom op's raw options: 0 unknown, 1 same, 2 valid


class Converter:
    """Walks the TFLite graph in order, writing ONNX nodes; activations become NCHW."""

    def __init__(self, model: tflite.Model, source: str) -> None:
        self.model = model
        self.source = source  # the .tflite's file name, for the graph's name and doc string
        self.graph = model.Subgraphs(0)
        self.nodes: list[onnx.NodeProto] = []
        self.constants: dict[str, np.ndarray] = {}  # ONNX initialisers by name
        self.values: dict[int, np.ndarray] = {}  # TFLite tensors known at conversion time

    def name(self, index: int) -> str:
        return f"t{index}"

    def tensor(self, index: int):
        return self.graph.Tensors(index)

    def shape(self, index: int) -> list[int]:
        return self.tensor(index).ShapeAsNumpy().tolist()

    def value(self, index: int) -> np.ndarray:
        """A constant tensor's data (weights, biases, sizes), dequantised where asked."""
        if index in self.values:
            return self.values[index]
        tensor = self.tensor(index)
        data = self.model.Buffers(tensor.Buffer()).DataAsNumpy()
        dtype = NUMPY_TYPES[tensor.Type()]
        return np.frombuffer(data.tobytes(), dtype).reshape(self.shape(index))

    def constant(self, array: np.ndarray, hint: str) -> str:
        name = f"{hint}_{len(self.constants)}"
        self.constants[name] = np.ascontiguousarray(array)
        return name

    def add(self, op: str, inputs: list[str], output: str, **attributes) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], **attributes))
        return output

    def options(self, op, cls):
        table = op.BuiltinOptions()
        options = cls()
        options.Init(table.Bytes, table.Pos)
        return options

    def is_constant(self, index: int) -> bool:
        buffer = self.model.Buffers(self.tensor(index).Buffer())
        return index in self.values or buffer.DataLength() > 0

    def operand(self, index: int) -> str:
        """An ADD/MUL operand: an activation, or a constant made NCHW-broadcastable."""
        if not self.is_constant(index):
            return self.name(index)
        array = self.value(index).astype(np.float32)
        if array.ndim == 4:
            array = array.transpose(0, 3, 1, 2)
        elif array.ndim == 1:
            array = array.reshape(-1, 1, 1)
        return self.constant(array, "operand")

    def convert(self, op) -> None:
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        kind = code.CustomCode().decode() if builtin == tflite.BuiltinOperator.CUSTOM else (
            BUILTIN_NAMES[builtin])  # fmt: skip
        inputs, outputs = op.InputsAsNumpy().tolist(), op.OutputsAsNumpy().tolist()
        out = self.name(outputs[0])
        if kind == "DEQUANTIZE":
            self.values[outputs[0]] = self.value(inputs[0]).astype(np.float32)
        elif kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            depthwise = kind == "DEPTHWISE_CONV_2D"
            options = self.options(
                op, tflite.DepthwiseConv2DOptions if depthwise else tflite.Conv2DOptions
            )
            # Depthwise (1, kh, kw, C) -> (C, 1, kh, kw), one group per channel;
            # otherwise (out, kh, kw, in) -> (out, in, kh, kw).
            order = (3, 0, 1, 2) if depthwise else (0, 3, 1, 2)
            weights = self.value(inputs[1]).transpose(order)
            attributes = dict(
                strides=[options.StrideH(), options.StrideW()],
                dilations=[options.DilationHFactor(), options.DilationWFactor()],
                auto_pad="SAME_UPPER" if options.Padding() == TF_SAME else "VALID",
                group=weights.shape[0] if depthwise else 1,
            )
            names = [self.name(inputs[0]), self.constant(weights, "w"),
                     self.constant(self.value(inputs[2]), "b")]  # fmt: skip
            self.fused("Conv", names, out, options.FusedActivationFunction(), **attributes)
        elif kind == "Convolution2DTransposeBias":
            padding, stride_w, stride_h = struct.unpack("<iii", op.CustomOptionsAsNumpy().tobytes())
            weights = self.value(inputs[1]).transpose(3, 0, 1, 2)  # (out,kh,kw,in)->(in,out,kh,kw)
            in_h, out_h = self.shape(inputs[0])[1], self.shape(outputs[0])[1]
            kernel = weights.shape[2]
            total = max((in_h - 1) * stride_h + kernel - out_h, 0) if padding == C_SAME else 0
            pads = [total // 2, total // 2, total - total // 2, total - total // 2]
            names = [self.name(inputs[0]), self.constant(weights, "w"),
                     self.constant(self.value(inputs[2]), "b")]  # fmt: skip
            self.add("ConvTranspose", names, out, strides=[stride_h, stride_w], pads=pads)
        elif kind == "AVERAGE_POOL_2D":
            options = self.options(op, tflite.Pool2DOptions)
            self.fused(
                "AveragePool", [self.name(inputs[0])], out, options.FusedActivationFunction(),
                kernel_shape=[options.FilterHeight(), options.FilterWidth()],
                strides=[options.StrideH(), options.StrideW()],
                auto_pad="SAME_UPPER" if options.Padding() == TF_SAME else "VALID",
            )  # fmt: skip
        elif kind == "MEAN":
            if not self.options(op, tflite.ReducerOptions).KeepDims():
                raise NotImplementedError("MEAN without keep_dims")
            nchw = {0: 0, 1: 2, 2: 3, 3: 1}  # NHWC axis -> NCHW axis
            axes = sorted(nchw[a % 4] for a in self.value(inputs[1]).reshape(-1).tolist())
            self.add("ReduceMean", [self.name(inputs[0])], out, axes=axes, keepdims=1)
        elif kind in ("ADD", "MUL"):
            options = self.options(op, tflite.AddOptions if kind == "ADD" else tflite.MulOptions)
            names = [self.operand(i) for i in inputs]
            self.fused(kind.title(), names, out, options.FusedActivationFunction())
        elif kind in ("RELU", "LOGISTIC", "HARD_SWISH"):
            onnx_op = {"RELU": "Relu", "LOGISTIC": "Sigmoid", "HARD_SWISH": "HardSwish"}[kind]
            self.add(onnx_op, [self.name(inputs[0])], out)
        elif kind == "RESIZE_BILINEAR":
            options = self.options(op, tflite.ResizeBilinearOptions)
            if options.AlignCorners():
                mode = "align_corners"
            elif options.HalfPixelCenters():
                mode = "half_pixel"
            else:
                mode = "asymmetric"
            height, width = self.value(inputs[1]).tolist()
            channels = self.shape(outputs[0])[3]
            sizes = self.constant(np.array([1, channels, height, width], np.int64), "sizes")
            self.add("Resize", [self.name(inputs[0]), "", "", sizes], out, mode="linear",
                     coordinate_transformation_mode=mode)  # fmt: skip
        else:
            raise NotImplementedError(f"TFLite operator {kind}")

    def fused(self, op: str, inputs: list[str], output: str, function: int, **attributes):
        """``op`` followed by its fused activation, if any."""
        if function not in ACTIVATIONS:
            raise NotImplementedError(f"fused activation {function}")
        if ACTIVATIONS[function] is None:
            self.add(op, inputs, output, **attributes)
        else:
            self.add(ACTIVATIONS[function], [self.add(op, inputs, output + "_pre", **attributes)],
                     output)  # fmt: skip

    def onnx_model(self) -> onnx.ModelProto:
        (input_index,) = self.graph.InputsAsNumpy().tolist()
        (output_index,) = self.graph.OutputsAsNumpy().tolist()
        self.add("Transpose", ["image"], self.name(input_index), perm=[0, 3, 1, 2])
        for i in range(self.graph.OperatorsLength()):
            self.convert(self.graph.Operators(i))
        self.add("Squeeze", [self.name(output_index), self.constant(np.array([0, 1]), "axes")],
                 "alpha")  # fmt: skip
        height, width = self.shape(input_index)[1:3]
        graph = helper.make_graph(
            self.nodes,
            Path(self.source).stem,
            [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, height, width, 3])],
            [helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [height, width])],
            [numpy_helper.from_array(array, name) for name, array in self.constants.items()],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        model.doc_string = (
            f"MediaPipe Selfie Segmentation ({KINDS[self.source]}, {height}x{width}), converted "
            f"from {self.source} of the mediapipe 0.10.21 wheel. Apache-2.0."
        )
        onnx.checker.check_model(model, full_check=True)
        return model


def convert(source: Path = SOURCE) -> onnx.ModelProto:
    """One of the MODELS' .tflite files (by its file name) as an ONNX model."""
    if source.name not in KINDS:
        raise ValueError(f"{source.name}: not one of {', '.join(KINDS)}")
    model = tflite.Model.GetRootAsModel(source.read_bytes(), 0)
    return Converter(model, source.name).onnx_model()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MediaPipe Selfie's .tflite files as ONNX.")
    parser.add_argument("models", nargs="*", help=f"of {', '.join(MODELS)} (default: all)")
    names = parser.parse_args(argv).models or list(MODELS)
    if unknown := set(names) - set(MODELS):
        parser.error(f"unknown model {', '.join(sorted(unknown))}; known: {', '.join(MODELS)}")
    for name in names:
        source = ASSETS / MODELS[name]
        target = source.with_suffix(".onnx")
        onnx.save(convert(source), target)
        print(f"wrote {target} ({target.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
