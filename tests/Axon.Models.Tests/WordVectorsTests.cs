using System.Text;
using Axon.Models.Word2Vec;

namespace Axon.Models.Tests;

/// <summary>Word vectors: the queries on hand-made vectors, and the three file formats (round trips and bad files).</summary>
public sealed class WordVectorsTests : IDisposable
{
    private readonly DirectoryInfo dir = Directory.CreateTempSubdirectory("axon-wv-");

    public void Dispose() => dir.Delete(recursive: true);

    private string File(string name) => Path.Combine(dir.FullName, name);

    // man and woman differ along the second axis, king and queen add the third (royalty); apple points elsewhere.
    private static WordVectors Royal() => new(["man", "woman", "king", "queen", "apple"],
        [1, 0, 0, /**/ 0, 1, 0, /**/ 1, 0, 1, /**/ 0, 1, 1, /**/ 0.5f, 0.5f, -1], 3);

    [Fact]
    public void SimilarityNearestAndAnalogy()
    {
        var v = Royal();
        Assert.Equal(Math.Sqrt(0.5), v.Similarity("man", "king"), 6);          // (1,0,0)·(1,0,1)/√2
        Assert.Equal(0.0, v.Similarity("man", "woman"), 12);
        Assert.Equal(1.0, v.Similarity("queen", "queen"), 6);
        var near = v.Nearest("king", 2);
        Assert.Equal(["man", "queen"], near.Select(n => n.Word));            // 0.7071 and 0.5, the word itself left out
        Assert.Equal(0.5, near[1].Similarity, 6);
        // king − man + woman on unit vectors = (−0.293, 1, 0.707): queen (0.707·1 + 0.707·0.707 = 1.207 / |q| = 1.255).
        var answer = v.Analogy("king", "man", "woman", 2);
        Assert.Equal("queen", answer[0].Word);
        Assert.Equal(1.2071068 / Math.Sqrt(0.2928932 * 0.2928932 + 1 + 0.5), answer[0].Similarity, 5);
        Assert.Equal("apple", answer[1].Word);
        var e = Assert.Throws<KeyNotFoundException>(() => v.Nearest("pear"));
        Assert.Contains("'pear' is not in the vocabulary (5 words)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PcaFindsTheDirectionsOfLargestVariance()
    {
        // Four points spread 3 along the diagonal of axes 1 and 2 (variance 4.5 each) and ±1 along axis 3, 0 elsewhere:
        // PC1 is the diagonal (coordinates ±3), PC2 axis 3 (±1); the explained fractions are 18/20 and 2/20.
        float s = (float)(3 / Math.Sqrt(2));
        var v = new WordVectors(["a", "b", "c", "d"], [s, s, 1, 0, /**/ -s, -s, 1, 0, /**/ s, s, -1, 0, /**/ -s, -s, -1, 0], 4);
        var (points, explained) = Projection.Pca2(v, ["a", "b", "c", "d"]);
        double[] xs = [3, -3, 3, -3], ys = [1, 1, -1, -1];
        for (int i = 0; i < 4; i++)
        {
            Assert.Equal(xs[i], points[i].X, 5);
            Assert.Equal(ys[i], points[i].Y, 5);
        }
        Assert.Equal(0.9, explained[0], 6);
        Assert.Equal(0.1, explained[1], 6);
        Assert.Contains("at least 2 words", Assert.Throws<ArgumentException>(() => Projection.Pca2(v, ["a"])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheConstructorRefusesWhatTheFormatsCannotHold()
    {
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "a"], new float[4], 2)).Message, StringComparison.Ordinal);
        Assert.Contains("white space", Assert.Throws<ArgumentException>(() => new WordVectors(["a b"], new float[2], 2)).Message, StringComparison.Ordinal);
        Assert.Contains("need 4 floats, got 3", Assert.Throws<ArgumentException>(() => new WordVectors(["a", "b"], new float[3], 2)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v.txt")]
    [InlineData("v.bin")]
    [InlineData("v.safetensors")]
    public void EveryFormatRoundTripsToTheBit(string name)
    {
        var rng = new Random(3);
        var words = new[] { "the", "naïve", "日本", "x" };
        var values = Enumerable.Range(0, 4 * 7).Select(_ => (float)(rng.NextDouble() * 2 - 1) * 1e-3f).ToArray();
        values[5] = float.Epsilon;
        values[6] = -0f;
        var v = new WordVectors(words, values, 7);
        WordVectorFiles.Save(v, File(name));
        var back = WordVectorFiles.Load(File(name));
        Assert.Equal(words, back.Words);
        Assert.Equal(7, back.Dimension);
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), back.Data.ToArray().Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void TheFilesHaveWord2vecsLayout()
    {
        var v = new WordVectors(["a", "bc"], [1, -0.5f, 0.25f, 2e-7f], 2);
        WordVectorFiles.SaveText(v, File("v.txt"));
        Assert.Equal("2 2\na 1 -0.5 \nbc 0.25 2e-07 \n", System.IO.File.ReadAllText(File("v.txt")));
        WordVectorFiles.SaveBinary(v, File("v.bin"));
        byte[] expected = [.. "2 2\na "u8, .. BitConverter.GetBytes(1f), .. BitConverter.GetBytes(-0.5f), (byte)'\n', .. "bc "u8, .. BitConverter.GetBytes(0.25f), .. BitConverter.GetBytes(2e-7f), (byte)'\n'];
        Assert.Equal(expected, System.IO.File.ReadAllBytes(File("v.bin")));
        // word2vec.c's text writer leaves a space after each value; fastText's .vec too.
        System.IO.File.WriteAllText(File("c.txt"), "2 2\na 1.000000 -0.500000 \nbc 0.250000 2.000000 \n");
        Assert.Equal([1, -0.5f, 0.25f, 2], WordVectorFiles.LoadText(File("c.txt")).Data.ToArray());
    }

    [Fact]
    public void FastTextsVecFilesReadAndWriteBackByteForByte()
    {
        // Written by Debian's fastText 0.9.2 (tests/Fixtures/make_fasttext_vectors.sh): 33 words, its end-of-line token
        // </s> among them, 6 dimensions, values to 5 significant digits.
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "fasttext_kjv_genesis.vec");
        var v = WordVectorFiles.LoadText(path);
        Assert.Equal((33, 6), (v.Count, v.Dimension));
        Assert.Equal(["and", "the", "of"], v.Words.Take(3));
        Assert.True(v.Contains("</s>"));
        Assert.Equal([-0.060372f, 0.27347f, -0.058961f, 0.065616f, 0.11424f, 0.12236f], v["and"].ToArray());
        WordVectorFiles.SaveText(v, File("again.vec"));
        Assert.Equal(System.IO.File.ReadAllBytes(path), System.IO.File.ReadAllBytes(File("again.vec")));
    }

    [Fact]
    public void BadFilesGiveErrorsNamingTheFileAndWhatIsWrong()
    {
        void Bad(string name, byte[] content, string fragment)
        {
            System.IO.File.WriteAllBytes(File(name), content);
            var e = Assert.Throws<InvalidDataException>(() => WordVectorFiles.Load(File(name)));
            Assert.Contains(File(name), e.Message, StringComparison.Ordinal);
            Assert.Contains(fragment, e.Message, StringComparison.Ordinal);
        }
        byte[] T(string s) => Encoding.UTF8.GetBytes(s);
        Bad("empty.txt", [], "the first line must be \"<word count> <dimension>\"");
        Bad("header.txt", T("two 3\n"), "got 'two 3'");
        Bad("short.txt", T("3 2\na 1 2\nb 3 4\n"), "the header announces 3 words, the file has 2");
        Bad("long.txt", T("1 2\na 1 2\nb 3 4\n"), "more than the 1 words the header announces (line 3)");
        Bad("dims.txt", T("2 2\na 1 2\nb 3\n"), "line 3 has 1 values for 'b', the header says 2");
        Bad("nan.txt", T("1 2\na 1 x\n"), "'x' (value 2 of 'a') is not a number");
        Bad("dup.txt", T("2 1\na 1\na 2\n"), "the word 'a' appears twice");
        var good = new List<byte>(T("2 2\na "));
        good.AddRange(new byte[8]);
        good.AddRange(T("\nb "));
        good.AddRange(new byte[8]);
        Bad("huge.bin", T("1000000 300\na "), "only 2 bytes follow");
        Bad("truncated.bin", [.. good.Take(good.Count - 2)], "the file ends inside the vector of 'b' (word 1 of 2)");
        Bad("extra.bin", [.. good, .. T("c ")], "data after the 2 words");
        Bad("words.bin", [.. T("1 1\n"), .. Enumerable.Repeat((byte)'w', 5000)], "longer than 4096 bytes");
        Assert.Equal(["a", "b"], WordVectorFiles.LoadBinary(WriteAndReturn("ok.bin", [.. good])).Words);
    }

    private string WriteAndReturn(string name, byte[] content)
    {
        System.IO.File.WriteAllBytes(File(name), content);
        return File(name);
    }
}
