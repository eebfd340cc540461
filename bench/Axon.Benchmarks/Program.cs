using BenchmarkDotNet.Running;

// Runs the BenchmarkDotNet suites: dotnet run -c Release --project bench/Axon.Benchmarks -- --filter '*Gemm*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point holder (BenchmarkDotNet discovers the benchmark classes in this assembly).</summary>
public partial class Program;
