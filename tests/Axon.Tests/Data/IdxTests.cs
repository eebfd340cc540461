using System.Buffers.Binary;
using Axon.Data;
using static Axon.Tests.Data.IdxTestFiles;

namespace Axon.Tests.Data;

/// <summary>IDX round trips through the writer and the reader, conversions, and the array's own checks.</summary>
public class IdxTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Uint8RoundTripIsBitExact(bool gzip)
    {
        using var dir = new TempDir();
        string path = dir.File(gzip ? "x-idx3-ubyte.gz" : "x-idx3-ubyte");
        var data = Pattern(5 * 28 * 28);
        IdxWriter.WriteBytes(path, data, [5, 28, 28]);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(gzip, bytes[0] == 0x1f && bytes[1] == 0x8b);
        if (!gzip) Assert.Equal([.. Header(0x08, 5, 28, 28), .. data], bytes);
        var a = Idx.Read(path);
        Assert.Equal(IdxElementType.UInt8, a.ElementType);
        Assert.Equal([5, 28, 28], a.GetShape());
        Assert.Equal(data, a.Data);
        Assert.Equal(5 * 28 * 28, a.Count);
        Assert.Equal([path], Directory.GetFiles(dir.Path)); // no temporary file left behind
    }

    [Fact]
    public void GzipIsDetectedByMagicNotByName()
    {
        using var dir = new TempDir();
        string path = dir.File("labels-idx1-ubyte");
        IdxWriter.WriteBytes(path, [1, 2, 3], [3], gzip: true);
        Assert.Equal([1, 2, 3], Idx.Read(path).Data);
        string raw = dir.File("labels.gz");
        IdxWriter.WriteBytes(raw, [4, 5], [2], gzip: false);
        Assert.Equal([4, 5], Idx.Read(raw).Data);
    }

    [Fact]
    public void WriterReplacesAnExistingFile()
    {
        using var dir = new TempDir();
        string path = dir.File("a-idx1-ubyte");
        IdxWriter.WriteBytes(path, [1, 2, 3], [3]);
        IdxWriter.WriteBytes(path, [9], [1]);
        Assert.Equal([9], Idx.Read(path).Data);
    }

    [Fact]
    public void OtherElementTypesRoundTripAndConvert()
    {
        using var dir = new TempDir();
        var cases = new (IdxElementType Type, byte[] Payload, double[] Values)[]
        {
            (IdxElementType.Int8, [0xFF, 0x05], [-1, 5]),
            (IdxElementType.Int16, [0xFF, 0xFE, 0x01, 0x00], [-2, 256]),
            (IdxElementType.Int32, [0x00, 0x01, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00], [65536, int.MinValue]),
            (IdxElementType.Float32, [.. BE(1.5f), .. BE(-2.25f)], [1.5, -2.25]),
            (IdxElementType.Float64, [.. BE(Math.PI), .. BE(-1e300)], [Math.PI, -1e300]),
        };
        foreach (var (type, payload, values) in cases)
        {
            foreach (bool gzip in (bool[])[false, true])
            {
                string path = dir.File($"{type}-{gzip}");
                IdxWriter.Write(path, new IdxArray(type, [2], payload), gzip);
                var a = Idx.Read(path);
                Assert.Equal(type, a.ElementType);
                Assert.Equal(payload, a.Data);
                Assert.Equal(values, a.ToDoubleArray());
                using var t = a.ToTensor();
                Assert.Equal(type is IdxElementType.Float32 ? DType.Float32 : type is IdxElementType.Float64 ? DType.Float64 : DType.Int64, t.DType);
                Assert.Equal(values, t.ToDoubleArray());
            }
        }
    }

    private static byte[] BE(float v) { var b = new byte[4]; BinaryPrimitives.WriteSingleBigEndian(b, v); return b; }

    private static byte[] BE(double v) { var b = new byte[8]; BinaryPrimitives.WriteDoubleBigEndian(b, v); return b; }

    [Fact]
    public void Uint8ToTensorGivesInt64OrFloat()
    {
        var a = new IdxArray(IdxElementType.UInt8, [2, 2], [0, 1, 254, 255]);
        Assert.Equal([0L, 1, 254, 255], a.ToTensor().ToLongArray());
        Assert.Equal([0f, 1, 254, 255], a.ToTensor(DType.Float32).ToFloatArray());
        Assert.Equal([2, 2], a.ToTensor().GetShape());
    }

    [Fact]
    public void MissingFileIsFileNotFound()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => Idx.Read(dir.File("nope-idx1-ubyte")));
        Assert.Contains("nope-idx1-ubyte", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdxArrayValidatesItsArguments()
    {
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxElementType.UInt8, [2, 2], new byte[3]));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxElementType.UInt8, [0], []));
        Assert.Throws<ArgumentException>(() => new IdxArray(IdxElementType.UInt8, [1, 1, 1, 1, 1], new byte[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new IdxArray((IdxElementType)0x0A, [1], new byte[1]));
    }
}
