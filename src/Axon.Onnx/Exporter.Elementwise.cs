using Axon.Tracing;

namespace Axon.Onnx;

// The dispatch from traced op kinds to ONNX nodes, and the element-wise ops, comparisons, reductions and softmax.
internal sealed partial class Exporter
{
    private OpAttributes At => current.Attributes;

    private string In(int i) => Name(current.Inputs[i]);

    private string Out(int k = 0) => Name(current.Outputs[k]);

    private int Rank(int input) => current.Inputs[input].Shape.Length;

    private DType InType(int input = 0) => current.Inputs[input].DType;

    private void Emit(TraceNode node)
    {
        if (At.Has("function"))
            throw Unsupported($"it is the custom function {At.Get<Function>("function").Name}, whose forward the trace keeps whole");
        var x = node.Inputs.Count;
        switch (node.Op)
        {
            case "Add" or "Mul" or "Sub" or "Div" or "Pow" when x == 1: ScalarOperand(); break;
            case "Add" or "Sub" or "Mul" or "Div" or "Pow": g.Add(node.Op, [In(0), In(1)], Out()); break;
            case "Maximum": g.Add("Max", [In(0), In(1)], Out()); break;
            case "Minimum": g.Add("Min", [In(0), In(1)], Out()); break;
            case "Neg" or "Exp" or "Log" or "Sqrt" or "Reciprocal" or "Abs" or "Tanh" or "Sigmoid" or "Relu" or "Sign": g.Add(node.Op, [In(0)], Out()); break;
            case "Square": g.Add("Mul", [In(0), In(0)], Out()); break;
            case "Step": g.Add("Cast", [g.Add("GreaterOrEqual", [In(0), g.Scalar(0, InType())])], Out(), OnnxAttr.Int("to", (long)TensorData.TypeOf(current.Outputs[0].DType))); break;
            case "LeakyRelu": g.Add("LeakyRelu", [In(0)], Out(), OnnxAttr.Float("alpha", At.Get<double>("negative_slope"))); break;
            case "Clamp": g.Add("Clip", [In(0), g.Scalar(At.Get<double>("min"), InType()), g.Scalar(At.Get<double>("max"), InType())], Out()); break;
            case "Softplus": Softplus(); break;
            case "Where": g.Add("Where", [Bool(In(0)), In(1), In(2)], Out()); break;
            case "Eq" or "Ne" or "Lt" or "Le" or "Gt" or "Ge": Compare(); break;
            case "Sum": g.Add("ReduceSum", [In(0)], Out(), OnnxAttr.Int("keepdims", 0)); break;
            case "SumDims": g.Add("ReduceSum", [In(0), g.Int64s(At.Get<int[]>("dims").Select(d => (long)d).ToArray())], Out(), OnnxAttr.Int("keepdims", At.Get<bool>("keepdim") ? 1 : 0)); break;
            case "Max" or "Min": g.Add(node.Op == "Max" ? "ReduceMax" : "ReduceMin", [In(0)], Out(), OnnxAttr.Int("keepdims", 0)); break;
            case "MaxDim" or "MinDim": ExtremeAlong(node.Op == "MaxDim"); break;
            case "ArgMax" or "ArgMin": g.Add(node.Op, [In(0)], Out(), OnnxAttr.Int("axis", At.Get<int>("dim")), OnnxAttr.Int("keepdims", At.Get<bool>("keepdim") ? 1 : 0)); break;
            case "ArgMaxAll": g.Add("ArgMax", [g.Add("Reshape", [In(0), g.Int64s(-1)])], Out(), OnnxAttr.Int("axis", 0), OnnxAttr.Int("keepdims", 0)); break;
            case "Softmax" or "LogSoftmax": g.Add(node.Op, [In(0)], Out(), OnnxAttr.Int("axis", At.Get<int>("dim"))); break;
            default: EmitShapeOrLayer(node); break;
        }
    }

    /// <summary>x op s with a scalar attribute s: "other" (Sub always means s - x; Div with "reverse" s / x) or Pow's "exponent".</summary>
    private void ScalarOperand()
    {
        var s = g.Scalar(current.Op == "Pow" ? At.Get<double>("exponent") : At.Get<double>("other"), InType());
        bool reverse = current.Op == "Sub" || (current.Op == "Div" && At.Has("reverse") && At.Get<bool>("reverse"));
        g.Add(current.Op, reverse ? [s, In(0)] : [In(0), s], Out());
    }

    /// <summary>softplus(x) = log(1 + exp(βx)) / β, and x where βx exceeds the threshold (as PyTorch).</summary>
    private void Softplus()
    {
        double beta = At.Get<double>("beta"), threshold = At.Get<double>("threshold");
        var dtype = InType();
        var bx = beta == 1 ? In(0) : g.Add("Mul", [In(0), g.Scalar(beta, dtype)]);
        var soft = g.Add("Softplus", [bx]);
        if (beta != 1) soft = g.Add("Div", [soft, g.Scalar(beta, dtype)]);
        g.Add("Where", [g.Add("Greater", [bx, g.Scalar(threshold, dtype)]), In(0), soft], Out());
    }

    /// <summary>A comparison: ONNX gives booleans, Axon 0/1 in the inputs' dtype.</summary>
    private void Compare()
    {
        var other = current.Inputs.Count == 1 ? g.Scalar(At.Get<double>("other"), InType()) : In(1);
        string op = current.Op switch { "Eq" or "Ne" => "Equal", "Lt" => "Less", "Le" => "LessOrEqual", "Gt" => "Greater", _ => "GreaterOrEqual" };
        var result = g.Add(op, [In(0), other]);
        if (current.Op == "Ne") result = g.Add("Not", [result]);
        g.Add("Cast", [result], Out(), OnnxAttr.Int("to", (long)TensorData.TypeOf(current.Outputs[0].DType)));
    }

    private string Bool(string x) => g.Add("Cast", [x], null, OnnxAttr.Int("to", (long)global::Onnx.TensorProto.Types.DataType.Bool));

    /// <summary>Max or min along a dimension: the values and their int64 indices.</summary>
    private void ExtremeAlong(bool max)
    {
        int d = At.Get<int>("dim");
        var keep = OnnxAttr.Int("keepdims", At.Get<bool>("keepdim") ? 1 : 0);
        g.Add(max ? "ReduceMax" : "ReduceMin", [In(0)], Out(0), OnnxAttr.Ints("axes", d), keep);
        g.Add(max ? "ArgMax" : "ArgMin", [In(0)], Out(1), OnnxAttr.Int("axis", d), keep);
    }
}
