namespace Axon.Imaging.Tests;

public class ImageNetClassesTests
{
    [Fact]
    public void TheThousandNamesInTorchvisionsOrder()
    {
        var names = ImageNetClasses.Names;
        Assert.Equal(1000, names.Count);
        Assert.Equal(1000, names.Distinct().Count());
        Assert.Equal("tench", names[0]);
        Assert.Equal("goldfish", names[1]);
        Assert.Equal("great white shark", names[2]);
        Assert.Equal("crane bird", names[134]);
        Assert.Equal("golden retriever", names[207]);
        Assert.Equal("tabby", names[281]);
        Assert.Equal("Egyptian cat", names[285]);
        Assert.Equal("crane", names[517]);
        Assert.Equal("toilet tissue", names[999]);
        Assert.All(names, n => Assert.Equal(n.Trim(), n));
    }
}
