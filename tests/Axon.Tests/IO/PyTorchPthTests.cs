using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Axon.IO;
using Axon.Nn;

namespace Axon.Tests.IO;

public sealed class PyTorchPthTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("axon-pth-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "pth", name);

    private static long[] Bits(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToFloatArray().Select(f => (long)BitConverter.SingleToInt32Bits(f)).ToArray(),
        DType.Float64 => t.ToDoubleArray().Select(BitConverter.DoubleToInt64Bits).ToArray(),
        _ => t.ToLongArray(),
    };

    private static void AssertSameAs(IEnumerable<KeyValuePair<string, Tensor>> loaded, string reference)
    {
        var expected = Safetensors.Load(Fixture(reference)).Tensors.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (key, t) in loaded)
        {
            var e = expected[key];
            Assert.Equal(e.DType, t.DType);
            Assert.Equal(e.GetShape(), t.GetShape());
            Assert.Equal(Bits(e), Bits(t));
        }
    }

    private sealed class Small : Module
    {
        public Small(int classes = 3)
        {
            Conv = RegisterModule("conv", new Conv2d(1, 2, 3));
            Bn = RegisterModule("bn", new BatchNorm2d(2));
            Fc = RegisterModule("fc", new Linear(8, classes));
        }

        public Conv2d Conv { get; }
        public BatchNorm2d Bn { get; }
        public Linear Fc { get; }
    }

    private sealed class DenseLayer : Module
    {
        public DenseLayer()
        {
            RegisterModule("norm1", new BatchNorm2d(4));
            RegisterModule("conv1", new Conv2d(4, 2, 1, bias: false));
            RegisterModule("norm2", new BatchNorm2d(2));
            RegisterModule("conv2", new Conv2d(2, 3, 3, bias: false));
        }
    }

    private sealed class Dense : Module
    {
        public Dense() => RegisterModule("denselayer1", new DenseLayer());
    }

    [Fact]
    public void StateDictLoadsInFileOrderValueByValue()
    {
        var loaded = PyTorchPth.Load(Fixture("state_dict.pth"));
        Assert.Equal(
            ["conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "fc.weight", "fc.bias",
             "extra.float64", "extra.transposed", "extra.shared_a", "extra.shared_b", "extra.scalar", "extra.half", "extra.bfloat16", "extra.int32",
             "extra.uint8", "extra.bool"],
            loaded.Select(kv => kv.Key));
        AssertSameAs(loaded, "state_dict.safetensors");
        var d = loaded.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(DType.Int64, d["bn.num_batches_tracked"].DType);
        Assert.Equal(0, d["bn.num_batches_tracked"].Rank);
        Assert.Equal([7L], d["bn.num_batches_tracked"].ToLongArray());
        Assert.Equal([0.25f, -0.5f], d["bn.running_mean"].ToFloatArray());
        Assert.Equal([4, 3], d["extra.transposed"].GetShape());
        Assert.Equal([2, 2], d["extra.shared_b"].GetShape());
        Assert.Equal([-2.5f], d["extra.scalar"].ToFloatArray());
        Assert.Equal([0.5f, -1.25f, 65504f], d["extra.half"].ToFloatArray());
        Assert.Equal([1f, -3f, 0.0078125f], d["extra.bfloat16"].ToFloatArray());
        Assert.Equal([-7L, 0L, int.MaxValue, int.MinValue], d["extra.int32"].ToLongArray());
        Assert.Equal([0L, 255L, 17L], d["extra.uint8"].ToLongArray());
        Assert.Equal([1L, 0L, 1L], d["extra.bool"].ToLongArray());
        // The same bytes through the in-memory entry point.
        Assert.Equal(Bits(d["fc.weight"]), Bits(PyTorchPth.Load(File.ReadAllBytes(Fixture("state_dict.pth"))).Single(kv => kv.Key == "fc.weight").Value));
    }

    [Fact]
    public void LoadPthFillsTheModelAndTheHookDropsKeys()
    {
        var model = new Small();
        model.LoadPth(Fixture("state_dict.pth"), rename: k => k.StartsWith("extra.", StringComparison.Ordinal) ? null : k);
        AssertSameAs(model.StateDict(), "state_dict.safetensors");
        // LoadWeights tells the formats apart by their bytes.
        var other = new Small();
        other.LoadWeights(Fixture("state_dict.pth"), strict: false);
        Assert.Equal(Bits(model.Fc.Weight), Bits(other.Fc.Weight));
    }

    [Fact]
    public void RenameHookMapsOldDenseNetKeys()
    {
        string path = Fixture("densenet_old_keys.pth");
        var model = new Dense();
        var ex = Assert.Throws<ArgumentException>(() => model.LoadPth(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("denselayer1.norm.1.weight", ex.Message);
        static string? Old(string k) => Regex.Replace(k, @"^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])\.", "$1$2.");
        model.LoadPth(path, rename: Old);
        AssertSameAs(model.StateDict(), "densenet_old_keys.safetensors");
        // The safetensors path takes the same hook (here the identity).
        var again = new Dense();
        again.Load(Fixture("densenet_old_keys.safetensors"), rename: k => k);
        AssertSameAs(again.StateDict(), "densenet_old_keys.safetensors");
        var bad = Assert.Throws<ArgumentException>(() => new Dense().LoadPth(path, rename: k => k.Replace("norm.1", "nrm1", StringComparison.Ordinal)));
        Assert.Contains("'denselayer1.norm.1.weight' (renamed to 'denselayer1.nrm1.weight')", bad.Message);
        var twice = Assert.Throws<ArgumentException>(() => new Dense().LoadPth(path, rename: _ => "x"));
        Assert.Contains("both renamed to 'x'", twice.Message);
    }

    [Fact]
    public void KeysThatDoNotFitNameTheFileAndKey()
    {
        string path = Fixture("state_dict.pth");
        var model = new Small(classes: 4);
        var before = Bits(model.Fc.Weight);
        var ex = Assert.Throws<ArgumentException>(() => model.LoadPth(path, rename: k => k.StartsWith("extra.", StringComparison.Ordinal) ? null : k));
        Assert.Contains(path, ex.Message);
        Assert.Contains("size mismatch for fc.weight: the file has shape [3, 8], the model has [4, 8]", ex.Message);
        Assert.Equal(before, Bits(model.Fc.Weight));
        var unexpected = Assert.Throws<ArgumentException>(() => new Small().LoadPth(path));
        Assert.Contains("unexpected keys: extra.float64", unexpected.Message);
        var missing = Assert.Throws<ArgumentException>(() => new Small().LoadPth(path, rename: k => k.StartsWith("extra.", StringComparison.Ordinal) || k == "fc.bias" ? null : k));
        Assert.Contains("missing keys: fc.bias", missing.Message);
    }

    [Fact]
    public void WholeModelAndMaliciousPicklesAreRefusedWithoutRunningAnything()
    {
        var whole = Assert.Throws<InvalidDataException>(() => PyTorchPth.Load(Fixture("whole_model.pth")));
        Assert.StartsWith(Fixture("whole_model.pth") + ":", whole.Message);
        Assert.Contains("refused the global '__main__.Small'", whole.Message);
        Assert.Contains("model.state_dict()", whole.Message);

        const string marker = "/tmp/axon_pth_marker_do_not_create";
        File.Delete(marker);
        var evil = Assert.Throws<InvalidDataException>(() => new Small().LoadPth(Fixture("malicious.pth"), strict: false));
        Assert.Contains("refused the global 'posix.system'", evil.Message);
        Assert.Contains("malicious.pth", evil.Message);
        Assert.False(File.Exists(marker));
    }

    [Theory]
    [InlineData("truncated.pth", "not a readable zip archive (the file is truncated or corrupt")]
    [InlineData("storage_too_small.pth", "tensor 'w' (size [4, 3], stride [3, 1], storage offset 0) reaches element 11 of its storage '0', which holds only 6 elements (FloatStorage)")]
    [InlineData("legacy.pth", "the legacy (pre-1.6) torch.save format is unsupported; re-save it with torch>=1.6")]
    public void BadFilesAreClearErrors(string file, string message)
    {
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchPth.Load(Fixture(file)));
        Assert.StartsWith(Fixture(file) + ": ", ex.Message);
        Assert.Contains(message, ex.Message);
    }

    // Hand-made archives: a pickle and records under "archive/".
    private static byte[] Zip(byte[]? pickle, params (string Name, byte[] Data)[] records)
    {
        using var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] data)
            {
                using var s = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression).Open();
                s.Write(data);
            }
            Add("version", "3\n"u8.ToArray());
            if (pickle is not null) Add("data.pkl", pickle);
            foreach (var (n, d) in records) Add(n, d);
        }
        return ms.ToArray();
    }

    private sealed class Pickle
    {
        private readonly List<byte> b = [0x80, 2];

        public Pickle Op(params byte[] ops) { b.AddRange(ops); return this; }
        public Pickle Global(string m, string n) => Op((byte)'c').Op(Encoding.ASCII.GetBytes(m + "\n" + n + "\n"));
        public Pickle Str(string s) { var u = Encoding.UTF8.GetBytes(s); return Op((byte)'X').Op(BitConverter.GetBytes(u.Length)).Op(u); }
        public Pickle Int(int v) => Op((byte)'J').Op(BitConverter.GetBytes(v));
        public Pickle Tuple(params int[] v) { Op((byte)'('); foreach (var x in v) Int(x); return Op((byte)'t'); }

        // _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), offset, size, stride, False, OrderedDict())
        public Pickle Tensor(string key, int numel, int offset, int[] size, int[] stride) =>
            Global("torch._utils", "_rebuild_tensor_v2").Op((byte)'(').Op((byte)'(').Str("storage").Global("torch", "FloatStorage").Str(key).Str("cpu").Int(numel).Op((byte)'t', (byte)'Q')
                .Int(offset).Tuple(size).Tuple(stride).Op(0x89).Global("collections", "OrderedDict").Op(0x29, (byte)'R', (byte)'t', (byte)'R');

        public byte[] Bytes => [.. b];
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    private static string LoadError(byte[] file) => Assert.Throws<InvalidDataException>(() => PyTorchPth.Load(file, "crafted.pth")).Message;

    [Fact]
    public void CraftedPicklesAreCheckedOpcodeByOpcode()
    {
        Assert.Equal("crafted.pth: data.pkl at offset 3: unsupported pickle opcode 0x81 (NEWOBJ); a state dict saved by torch.save does not use it.",
            LoadError(Zip(new Pickle().Op(0x29, 0x81, (byte)'.').Bytes)));
        var stackGlobal = new Pickle().Op(0x8c, 8).Op("builtins"u8.ToArray()).Op(0x8c, 4).Op("eval"u8.ToArray()).Op(0x93, (byte)'.').Bytes;
        Assert.Contains("refused the global 'builtins.eval'", LoadError(Zip(stackGlobal)));
        Assert.Contains("memo entry 5 was never stored", LoadError(Zip(new Pickle().Op((byte)'h', 5, (byte)'.').Bytes)));
        Assert.Contains("ends without a STOP", LoadError(Zip(new Pickle().Op(0x7d).Bytes)));
        Assert.Contains("a string of 1000 bytes, but only", LoadError(Zip(new Pickle().Op((byte)'X').Op(BitConverter.GetBytes(1000)).Op((byte)'.').Bytes)));
        Assert.Contains("no 'archive/data.pkl' record", LoadError(Zip(null)));
        Assert.Contains("crafted.pth: the file is empty", LoadError([]));
    }

    [Fact]
    public void StoragesAreCheckedAgainstTheirRecords()
    {
        byte[] One(int numel, int[] size, int[] stride, int offset = 0) =>
            new Pickle().Op(0x7d, (byte)'(').Str("w").Tensor("0", numel, offset, size, stride).Op((byte)'u', (byte)'.').Bytes;

        var ok = PyTorchPth.Load(Zip(One(4, [2, 2], [1, 2]), ("data/0", Floats(1, 2, 3, 4))), "crafted.pth");
        Assert.Equal([1f, 3f, 2f, 4f], ok.Single().Value.ToFloatArray());
        Assert.Contains("tensor 'w': the record 'archive/data/0' is missing", LoadError(Zip(One(4, [4], [1]))));
        Assert.Contains("storage '0' (FloatStorage) declares 4 elements (16 bytes) but its record 'archive/data/0' holds 12 bytes",
            LoadError(Zip(One(4, [4], [1]), ("data/0", Floats(1, 2, 3)))));
        Assert.Contains("reaches element 4 of its storage '0', which holds only 4 elements",
            LoadError(Zip(One(4, [2], [1], offset: 3), ("data/0", Floats(1, 2, 3, 4)))));
        Assert.Contains("more than 4 times the 1 their storages hold",
            LoadError(Zip(One(1, [100_000], [0]), ("data/0", Floats(1)))));
        Assert.Contains("only little-endian files are supported",
            LoadError(Zip(One(1, [1], [1]), ("data/0", Floats(1)), ("byteorder", "big"u8.ToArray()))));
    }

    [Fact]
    public void CheckpointDictsYieldTheirStateDict()
    {
        var p = new Pickle().Op(0x7d, (byte)'(').Str("epoch").Int(3).Str("model").Op(0x7d, (byte)'(').Str("w").Tensor("0", 2, 0, [2], [1]).Op((byte)'u')
            .Op((byte)'u', (byte)'.').Bytes;
        var loaded = PyTorchPth.Load(Zip(p, ("data/0", Floats(5, 6))), "crafted.pth");
        Assert.Equal("w", loaded.Single().Key);
        Assert.Equal([5f, 6f], loaded.Single().Value.ToFloatArray());
        var notSd = new Pickle().Op(0x7d, (byte)'(').Str("epoch").Int(3).Op((byte)'u', (byte)'.').Bytes;
        Assert.Contains("the entry 'epoch' holds 3, not a tensor", LoadError(Zip(notSd)));
    }
}
