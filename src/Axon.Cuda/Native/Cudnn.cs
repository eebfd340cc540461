using System.Runtime.InteropServices;

namespace Axon.Cuda.Native;

/// <summary>
/// One result of cuDNN's algorithm search: cudnnConvolutionFwdAlgoPerf_t, cudnnConvolutionBwdDataAlgoPerf_t and
/// cudnnConvolutionBwdFilterAlgoPerf_t share this layout (algo, status, time in ms, workspace bytes, determinism, math
/// type, three reserved ints): 48 bytes on 64-bit platforms.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CudnnAlgoPerf
{
    public int Algo;
    public int Status;
    public float Time;
    public nuint Memory;
    public int Determinism;
    public int MathType;
    public int Reserved0, Reserved1, Reserved2;
}

/// <summary>
/// cuDNN 9's legacy convolution API (cudnn_graph.h, cudnn_cnn.h, cudnn_ops.h through the libcudnn.so.9 shim). Every function
/// returns a cudnnStatus_t (0 = success); alpha and beta point to host scalars of the compute type (float for float
/// tensors, double for double ones).
/// </summary>
internal static unsafe partial class Cudnn
{
    private const string Lib = CudaLibraries.CudnnLib;

    public const int DataFloat = 0, DataDouble = 1;                      // cudnnDataType_t
    public const int FormatNchw = 0;                                     // cudnnTensorFormat_t
    public const int CrossCorrelation = 1;                               // cudnnConvolutionMode_t
    public const int DefaultMath = 0, TensorOpMath = 1, FmaMath = 3;     // cudnnMathType_t
    public const int Deterministic = 1;                                  // cudnnDeterminism_t

    [LibraryImport(Lib, EntryPoint = "cudnnGetVersion")] public static partial nuint GetVersion();
    [LibraryImport(Lib, EntryPoint = "cudnnGetErrorString")] public static partial byte* GetErrorString(int status);
    [LibraryImport(Lib, EntryPoint = "cudnnCreate")] public static partial int Create(out IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cudnnDestroy")] public static partial int Destroy(IntPtr handle);
    [LibraryImport(Lib, EntryPoint = "cudnnSetStream")] public static partial int SetStream(IntPtr handle, IntPtr stream);

    [LibraryImport(Lib, EntryPoint = "cudnnCreateTensorDescriptor")] public static partial int CreateTensorDescriptor(out IntPtr desc);
    [LibraryImport(Lib, EntryPoint = "cudnnDestroyTensorDescriptor")] public static partial int DestroyTensorDescriptor(IntPtr desc);
    [LibraryImport(Lib, EntryPoint = "cudnnSetTensor4dDescriptorEx")]
    public static partial int SetTensor4dDescriptorEx(IntPtr desc, int dataType, int n, int c, int h, int w, int nStride, int cStride, int hStride, int wStride);

    [LibraryImport(Lib, EntryPoint = "cudnnCreateFilterDescriptor")] public static partial int CreateFilterDescriptor(out IntPtr desc);
    [LibraryImport(Lib, EntryPoint = "cudnnDestroyFilterDescriptor")] public static partial int DestroyFilterDescriptor(IntPtr desc);
    [LibraryImport(Lib, EntryPoint = "cudnnSetFilter4dDescriptor")]
    public static partial int SetFilter4dDescriptor(IntPtr desc, int dataType, int format, int k, int c, int h, int w);

    [LibraryImport(Lib, EntryPoint = "cudnnCreateConvolutionDescriptor")] public static partial int CreateConvolutionDescriptor(out IntPtr desc);
    [LibraryImport(Lib, EntryPoint = "cudnnDestroyConvolutionDescriptor")] public static partial int DestroyConvolutionDescriptor(IntPtr desc);
    [LibraryImport(Lib, EntryPoint = "cudnnSetConvolution2dDescriptor")]
    public static partial int SetConvolution2dDescriptor(IntPtr desc, int padH, int padW, int strideH, int strideW, int dilationH, int dilationW, int mode, int computeType);
    [LibraryImport(Lib, EntryPoint = "cudnnSetConvolutionGroupCount")] public static partial int SetConvolutionGroupCount(IntPtr desc, int groups);
    [LibraryImport(Lib, EntryPoint = "cudnnSetConvolutionMathType")] public static partial int SetConvolutionMathType(IntPtr desc, int mathType);

    [LibraryImport(Lib, EntryPoint = "cudnnGetConvolutionForwardAlgorithm_v7")]
    public static partial int GetConvolutionForwardAlgorithmV7(IntPtr handle, IntPtr x, IntPtr w, IntPtr conv, IntPtr y, int requested, out int returned, CudnnAlgoPerf* results);
    [LibraryImport(Lib, EntryPoint = "cudnnFindConvolutionForwardAlgorithmEx")]
    public static partial int FindConvolutionForwardAlgorithmEx(IntPtr handle, IntPtr xDesc, ulong x, IntPtr wDesc, ulong w, IntPtr conv, IntPtr yDesc, ulong y,
        int requested, out int returned, CudnnAlgoPerf* results, ulong workspace, nuint workspaceBytes);
    [LibraryImport(Lib, EntryPoint = "cudnnFindConvolutionBackwardDataAlgorithmEx")]
    public static partial int FindConvolutionBackwardDataAlgorithmEx(IntPtr handle, IntPtr wDesc, ulong w, IntPtr dyDesc, ulong dy, IntPtr conv, IntPtr dxDesc, ulong dx,
        int requested, out int returned, CudnnAlgoPerf* results, ulong workspace, nuint workspaceBytes);
    [LibraryImport(Lib, EntryPoint = "cudnnFindConvolutionBackwardFilterAlgorithmEx")]
    public static partial int FindConvolutionBackwardFilterAlgorithmEx(IntPtr handle, IntPtr xDesc, ulong x, IntPtr dyDesc, ulong dy, IntPtr conv, IntPtr dwDesc, ulong dw,
        int requested, out int returned, CudnnAlgoPerf* results, ulong workspace, nuint workspaceBytes);

    [LibraryImport(Lib, EntryPoint = "cudnnGetConvolutionForwardWorkspaceSize")]
    public static partial int GetConvolutionForwardWorkspaceSize(IntPtr handle, IntPtr x, IntPtr w, IntPtr conv, IntPtr y, int algo, out nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cudnnGetConvolutionBackwardDataWorkspaceSize")]
    public static partial int GetConvolutionBackwardDataWorkspaceSize(IntPtr handle, IntPtr w, IntPtr dy, IntPtr conv, IntPtr dx, int algo, out nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cudnnGetConvolutionBackwardFilterWorkspaceSize")]
    public static partial int GetConvolutionBackwardFilterWorkspaceSize(IntPtr handle, IntPtr x, IntPtr dy, IntPtr conv, IntPtr dw, int algo, out nuint bytes);

    [LibraryImport(Lib, EntryPoint = "cudnnConvolutionForward")]
    public static partial int ConvolutionForward(IntPtr handle, void* alpha, IntPtr xDesc, ulong x, IntPtr wDesc, ulong w, IntPtr conv, int algo,
        ulong workspace, nuint workspaceBytes, void* beta, IntPtr yDesc, ulong y);
    [LibraryImport(Lib, EntryPoint = "cudnnConvolutionBackwardData")]
    public static partial int ConvolutionBackwardData(IntPtr handle, void* alpha, IntPtr wDesc, ulong w, IntPtr dyDesc, ulong dy, IntPtr conv, int algo,
        ulong workspace, nuint workspaceBytes, void* beta, IntPtr dxDesc, ulong dx);
    [LibraryImport(Lib, EntryPoint = "cudnnConvolutionBackwardFilter")]
    public static partial int ConvolutionBackwardFilter(IntPtr handle, void* alpha, IntPtr xDesc, ulong x, IntPtr dyDesc, ulong dy, IntPtr conv, int algo,
        ulong workspace, nuint workspaceBytes, void* beta, IntPtr dwDesc, ulong dw);
    [LibraryImport(Lib, EntryPoint = "cudnnConvolutionBackwardBias")]
    public static partial int ConvolutionBackwardBias(IntPtr handle, void* alpha, IntPtr dyDesc, ulong dy, void* beta, IntPtr dbDesc, ulong db);
    [LibraryImport(Lib, EntryPoint = "cudnnAddTensor")]
    public static partial int AddTensor(IntPtr handle, void* alpha, IntPtr aDesc, ulong a, void* beta, IntPtr cDesc, ulong c);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="function"/> unless <paramref name="status"/> is CUDNN_STATUS_SUCCESS.</summary>
    public static void Check(int status, string function, string? context = null)
    {
        if (status == 0) return;
        string text = "no description";
        try
        {
            var s = GetErrorString(status);
            if (s != null) text = Marshal.PtrToStringUTF8((IntPtr)s) ?? text;
        }
        catch (EntryPointNotFoundException)
        {
            // keep the generic text
        }
        // cudnnGetErrorString returns the status's name (CUDNN_STATUS_BAD_PARAM...), so it serves as both.
        throw new CudaException(function, status, text, "cudnnStatus_t " + status.ToString(System.Globalization.CultureInfo.InvariantCulture), context);
    }
}
