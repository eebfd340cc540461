using Axon.Distributed;

using var g = MpiProcessGroup.Start();
var x = new float[] { g.Rank + 1, 1e8f * (g.Rank == 0 ? 1 : -1), 0.5f };
g.AllReduce(x);
var all = g.AllGather(new[] { g.Rank * 10 });
var b = g.Rank == 0 ? new double[] { 3.25 } : new double[1];
g.Broadcast(b);
g.Barrier();
Console.WriteLine($"{g.Description}: sum {string.Join(",", x)} gather {string.Join(",", all)} bcast {b[0]}");
return 0;
