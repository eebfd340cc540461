using Axon.Nn;

namespace Axon.Tests.Nn;

public class ModuleSummaryTests
{
    private static string Row(string summary, string name) => summary.Split('\n').Single(l => l.StartsWith(name, StringComparison.Ordinal));

    private static string[] Cells(string row) => row.Split("  ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void AlexNetsConv5HasTheLecturesUnitsWeightsAndConnections()
    {
        // The original AlexNet's conv5: 3x3x384 kernels, 256 of them, on the 13x13x384 output of conv4.
        var conv5 = new Sequential(new Conv2d(384, 256, 3, padding: 1, generator: new Generator(1)));
        var summary = conv5.Summary([1, 384, 13, 13]);
        Assert.Equal(["0 (Conv2d)", "[1, 256, 13, 13]", "884,992", "43,264", "149,520,384"], Cells(Row(summary, "0 (Conv2d)")));
        Assert.Contains("Total units: 43,264\n", summary, StringComparison.Ordinal);
        Assert.Contains("Total connections (multiply-adds): 149,520,384\n", summary, StringComparison.Ordinal);
        // The container computes no weighted sum of its own.
        Assert.Equal(["(model) (Sequential)", "[1, 256, 13, 13]", "0", "-", "-"], Cells(Row(summary, "(model)")));
    }

    [Fact]
    public void CountsArePerExampleAndCoverLinearGroupedAndTransposedLayers()
    {
        var net = new Sequential(
            new Conv2d(4, 6, 3, padding: 1, groups: 2, generator: new Generator(2)),   // 6x5x5 units, each 2*3*3 taps
            new BatchNorm2d(6),
            new ConvTranspose2d(6, 2, 2, stride: 2, generator: new Generator(3)),       // 6x5x5 inputs, each feeding 2*2*2 outputs
            new Flatten(),
            new Linear(200, 7, generator: new Generator(4)));
        var summary = net.Summary([3, 4, 5, 5]);
        Assert.Equal(["0 (Conv2d)", "[3, 6, 5, 5]", "114", "150", "2,700"], Cells(Row(summary, "0 (Conv2d)")));
        Assert.Equal(["1 (BatchNorm2d)", "[3, 6, 5, 5]", "12", "-", "-"], Cells(Row(summary, "1 (BatchNorm2d)")));
        Assert.Equal(["2 (ConvTranspose2d)", "[3, 2, 10, 10]", "50", "200", "1,200"], Cells(Row(summary, "2 (ConvTranspose2d)")));
        Assert.Equal(["4 (Linear)", "[3, 7]", "1,407", "7", "1,400"], Cells(Row(summary, "4 (Linear)")));
        Assert.Contains("Total units: 357\n", summary, StringComparison.Ordinal);
        Assert.Contains("Total connections (multiply-adds): 5,300\n", summary, StringComparison.Ordinal);
        Assert.EndsWith("Input shape: [3, 4, 5, 5] (units and connections per example, of 3)", summary, StringComparison.Ordinal);
    }

    /// <summary>
    /// VGG16 (configuration D) as torchvision lays it out: 13 3x3 convolutions with max pooling after each block, adaptive
    /// average pooling to 7x7, then 25088-4096-4096-1000.
    /// </summary>
    private static Sequential Vgg16()
    {
        var g = new Generator(5);
        var layers = new List<Module<Tensor, Tensor>>();
        int c = 3;
        foreach (int v in (int[])[64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0])
        {
            if (v == 0) { layers.Add(new MaxPool2d(2)); continue; }
            layers.Add(new Conv2d(c, v, 3, padding: 1, generator: g));
            layers.Add(new ReLU());
            c = v;
        }
        layers.Add(new AdaptiveAvgPool2d(7));
        layers.Add(new Flatten());
        layers.AddRange([new Linear(25088, 4096, generator: g), new ReLU(), new Dropout(), new Linear(4096, 4096, generator: g), new ReLU(), new Dropout(), new Linear(4096, 1000, generator: g)]);
        return new Sequential([.. layers]);
    }

    [Fact]
    public void Vgg16HasTheLecturesHundredAndThirtyEightMillionParameters()
    {
        // A 32x32 input keeps the test fast (at 224x224 the forward pass takes seconds here); the adaptive pooling
        // spreads the last 1x1 map over 7x7, so the parameters are those of the 224x224 network.
        var summary = Vgg16().Summary([1, 3, 32, 32]);
        Assert.Contains("Total params: 138,357,544\n", summary, StringComparison.Ordinal);
        // Sums of the per-layer formulas, checked independently: conv units c·h·w and taps c·h·w·c_in·9, then the linear layers.
        Assert.Contains("Total units: 285,672\n", summary, StringComparison.Ordinal);
        Assert.Contains("Total connections (multiply-adds): 436,830,208\n", summary, StringComparison.Ordinal);
        Assert.Equal(["0 (Conv2d)", "[1, 64, 32, 32]", "1,792", "65,536", "1,769,472"], Cells(Row(summary, "0 (Conv2d)")));
        Assert.Equal(["33 (Linear)", "[1, 4096]", "102,764,544", "4,096", "102,760,448"], Cells(Row(summary, "33 (Linear)")));
        Assert.Equal(["39 (Linear)", "[1, 1000]", "4,097,000", "1,000", "4,096,000"], Cells(Row(summary, "39 (Linear)")));
    }
}
