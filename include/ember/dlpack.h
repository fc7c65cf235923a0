/**
 * @file ember/dlpack.h
 * @brief Zero-copy tensor exchange through DLPack (torch.utils.dlpack, numpy.from_dlpack).
 *
 * DLPack (https://dmlc.github.io/dlpack/latest/) is the standard in-memory
 * tensor structure deep-learning frameworks exchange tensors through without
 * copying. This header defines its structures -- the one place Ember's ABI
 * has struct layouts, because the layout is the standard -- written from the
 * specification (DLPack 1.1), and Ember's export and import functions.
 *
 * The structure definitions use DLPack's own include guard, DLPACK_DLPACK_H_,
 * so a program may include the official dlpack.h as well: whichever comes
 * first defines the (identical) structures.
 *
 * Semantics, for both DLManagedTensorVersioned (DLPack >= 1.0) and the legacy
 * DLManagedTensor:
 * - Export hands the consumer a structure that views the Ember tensor's memory
 *   (no copy) and keeps that memory alive until the consumer calls the
 *   structure's deleter, exactly once, from any thread. Writes on either side
 *   are seen on the other. The flags of an exported versioned tensor are 0
 *   (writable, not a copy). Strides are given in elements, as DLPack counts them.
 * - Import takes ownership of the producer's structure on success: the Ember
 *   tensor views the producer's memory and the deleter is called, once, after
 *   the last Ember tensor or view using the memory is gone -- during the
 *   ember_tensor_free (or whichever call drops the last reference), on that
 *   call's thread. On failure nothing is taken: the caller still owns the
 *   structure (and may call its deleter).
 *   The memory is copied instead of viewed -- and the deleter called before the
 *   import returns -- when the tensor is read-only (DLPACK_FLAG_BITMASK_READ_ONLY;
 *   Ember tensors are writable and must not write to it), has negative
 *   strides, a start not aligned to its element size, bool bytes other than 0
 *   and 1, or no elements.
 * - CPU tensors only (kDLCPU); dtypes float32 (kDLFloat, 32 bits), float64
 *   (kDLFloat, 64), int64 (kDLInt, 64) and bool (kDLBool, 8), one lane each.
 *   Anything else is an error naming what was given.
 */

/* ---------------------------------------------------------------------------
 * The DLPack structures (DLPack 1.1), shared with the official header.
 */
#ifndef DLPACK_DLPACK_H_
#define DLPACK_DLPACK_H_

#include <stddef.h>
#include <stdint.h>

/** The major DLPack version these structures follow (a change would change their layout). */
#define DLPACK_MAJOR_VERSION 1
/** The minor DLPack version these structures follow (1.1: the float8/6/4 type codes). */
#define DLPACK_MINOR_VERSION 1

/** C++ linkage helper, as the official header defines it. */
#ifdef __cplusplus
#define DLPACK_EXTERN_C extern "C"
#else
#define DLPACK_EXTERN_C
#endif

/** Export attribute of the official header (empty here). */
#define DLPACK_DLL

#ifdef __cplusplus
extern "C" {
#endif

/** A DLPack version: a major change changes the layout, a minor one adds enum values. */
typedef struct {
    uint32_t major; /**< The major version. */
    uint32_t minor; /**< The minor version. */
} DLPackVersion;

/** Where a tensor's memory lives. */
#ifdef __cplusplus
typedef enum : int32_t {
#else
typedef enum {
#endif
    kDLCPU = 1,          /**< CPU memory. */
    kDLCUDA = 2,         /**< CUDA GPU memory. */
    kDLCUDAHost = 3,     /**< Pinned CUDA host memory (cudaMallocHost). */
    kDLOpenCL = 4,       /**< OpenCL device memory. */
    kDLVulkan = 7,       /**< Vulkan buffers. */
    kDLMetal = 8,        /**< Metal (Apple GPU) memory. */
    kDLVPI = 9,          /**< Verilog simulator buffers. */
    kDLROCM = 10,        /**< ROCm (AMD GPU) memory. */
    kDLROCMHost = 11,    /**< Pinned ROCm host memory (hipMallocHost). */
    kDLExtDev = 12,      /**< Reserved for extension devices. */
    kDLCUDAManaged = 13, /**< CUDA managed (unified) memory. */
    kDLOneAPI = 14,      /**< oneAPI (SYCL) unified shared memory. */
    kDLWebGPU = 15,      /**< WebGPU buffers. */
    kDLHexagon = 16,     /**< Qualcomm Hexagon DSP memory. */
    kDLMAIA = 17         /**< Microsoft MAIA device memory. */
} DLDeviceType;

/** A device: its type and its index among devices of that type. */
typedef struct {
    DLDeviceType device_type; /**< The kind of device. */
    int32_t device_id;        /**< The device index (0 for the CPU). */
} DLDevice;

/** The kind of element (DLDataType.code). */
typedef enum {
    kDLInt = 0U,                 /**< Signed integer. */
    kDLUInt = 1U,                /**< Unsigned integer. */
    kDLFloat = 2U,               /**< IEEE floating point. */
    kDLOpaqueHandle = 3U,        /**< Opaque handles (bits is the pointer size). */
    kDLBfloat = 4U,              /**< bfloat16. */
    kDLComplex = 5U,             /**< Complex numbers (two floats per element). */
    kDLBool = 6U,                /**< Boolean (bits 8: one byte, 0 or 1). */
    kDLFloat8_e3m4 = 7U,         /**< 8-bit float, e3m4. */
    kDLFloat8_e4m3 = 8U,         /**< 8-bit float, e4m3. */
    kDLFloat8_e4m3b11fnuz = 9U,  /**< 8-bit float, e4m3 bias 11, finite, no negative zero. */
    kDLFloat8_e4m3fn = 10U,      /**< 8-bit float, e4m3, finite. */
    kDLFloat8_e4m3fnuz = 11U,    /**< 8-bit float, e4m3, finite, no negative zero. */
    kDLFloat8_e5m2 = 12U,        /**< 8-bit float, e5m2. */
    kDLFloat8_e5m2fnuz = 13U,    /**< 8-bit float, e5m2, finite, no negative zero. */
    kDLFloat8_e8m0fnu = 14U,     /**< 8-bit scale, e8m0. */
    kDLFloat6_e2m3fn = 15U,      /**< 6-bit float, e2m3. */
    kDLFloat6_e3m2fn = 16U,      /**< 6-bit float, e3m2. */
    kDLFloat4_e2m1fn = 17U       /**< 4-bit float, e2m1. */
} DLDataTypeCode;

/** An element type: float32 is {kDLFloat, 32, 1}. Native byte order. */
typedef struct {
    uint8_t code;   /**< A DLDataTypeCode. */
    uint8_t bits;   /**< Bits per lane (8, 16, 32, 64, ...). */
    uint16_t lanes; /**< Lanes per element (1 for scalars). */
} DLDataType;

/** A tensor view: memory, device, dtype, shape and strides. It manages no memory. */
typedef struct {
    void *data;          /**< The data pointer (plus byte_offset: the first element). */
    DLDevice device;     /**< Where `data` lives. */
    int32_t ndim;        /**< The number of dimensions. */
    DLDataType dtype;    /**< The element type. */
    int64_t *shape;      /**< `ndim` sizes. */
    int64_t *strides;    /**< `ndim` strides in elements, or NULL for row-major. */
    uint64_t byte_offset; /**< Bytes from `data` to the first element. */
} DLTensor;

/**
 * A tensor with a deleter: the legacy exchange structure (before DLPack 1.0).
 * The consumer calls `deleter(self)` once when done; it frees `self` too.
 */
typedef struct DLManagedTensor {
    DLTensor dl_tensor;                          /**< The tensor. */
    void *manager_ctx;                           /**< The producer's context. */
    void (*deleter)(struct DLManagedTensor *self); /**< Releases the tensor (may be NULL). */
} DLManagedTensor;

/** The consumer must not write to the tensor's memory. */
#define DLPACK_FLAG_BITMASK_READ_ONLY (1UL << 0UL)
/** The producer copied the data: the consumer owns it alone until the deleter runs. */
#define DLPACK_FLAG_BITMASK_IS_COPIED (1UL << 1UL)
/** Sub-byte elements are padded to a byte each rather than packed. */
#define DLPACK_FLAG_BITMASK_IS_SUBBYTE_TYPE_PADDED (1UL << 2UL)

/**
 * A versioned tensor with a deleter: the exchange structure of DLPack >= 1.0.
 * `version` comes first so a consumer can check it before reading anything
 * else; everything up to `flags` stays stable so the deleter can always be called.
 */
typedef struct DLManagedTensorVersioned {
    DLPackVersion version;                                  /**< The layout's version. */
    void *manager_ctx;                                      /**< The producer's context. */
    void (*deleter)(struct DLManagedTensorVersioned *self); /**< Releases the tensor (may be NULL). */
    uint64_t flags;                                         /**< DLPACK_FLAG_BITMASK_* bits. */
    DLTensor dl_tensor;                                     /**< The tensor. */
} DLManagedTensorVersioned;

#ifdef __cplusplus
}
#endif

#endif /* DLPACK_DLPACK_H_ */

/* ---------------------------------------------------------------------------
 * Ember's DLPack functions.
 */
#ifndef EMBER_DLPACK_H
#define EMBER_DLPACK_H

#include "base.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Exports `t` as a DLPack 1.x tensor (torch: tensor.__dlpack__() with a
 * versioned capsule): `*out` views the tensor's memory with its shape,
 * strides and offset, version {1, 1}, flags 0, on kDLCPU. The caller owns
 * `*out` and must call `(*out)->deleter(*out)` exactly once (from any thread);
 * until then the memory stays valid even if every Ember handle is freed.
 * Errors: INVALID_HANDLE; INVALID_ARGUMENT (NULL out; a tensor that requires
 * grad -- as torch, export its ember_detach first); OUT_OF_MEMORY.
 */
EMBER_NODISCARD ember_status ember_to_dlpack_versioned(const ember_tensor *t, DLManagedTensorVersioned **out);

/**
 * As ember_to_dlpack_versioned, as the legacy DLManagedTensor
 * (torch.utils.dlpack.to_dlpack), for consumers older than DLPack 1.0.
 */
EMBER_NODISCARD ember_status ember_to_dlpack(const ember_tensor *t, DLManagedTensor **out);

/**
 * A tensor over a DLPack 1.x tensor's memory (torch.from_dlpack,
 * numpy.from_dlpack): on success Ember owns `src` and calls its deleter once
 * when the memory is no longer used (see the file comment for when the data
 * is copied instead, and the deleter called at once). The result does not
 * require grad; the caller owns `*out`. Errors (nothing is taken; the caller
 * still owns `src`): INVALID_ARGUMENT (NULL src or out; a major version other
 * than 1; a device other than kDLCPU; a negative size; more than 12
 * dimensions; NULL data with elements); DTYPE (an element type Ember has no
 * equivalent of, named in the message); OUT_OF_MEMORY.
 */
EMBER_NODISCARD ember_status ember_from_dlpack_versioned(DLManagedTensorVersioned *src, ember_tensor **out);

/** As ember_from_dlpack_versioned, for a legacy DLManagedTensor (always writable). */
EMBER_NODISCARD ember_status ember_from_dlpack(DLManagedTensor *src, ember_tensor **out);

#ifdef __cplusplus
}
#endif

#endif /* EMBER_DLPACK_H */
