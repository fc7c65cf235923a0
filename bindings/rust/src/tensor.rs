//! Tensors: the owning handle, creation, element access, ops and operators.

use crate::error::{check, Error, ErrorKind, Result};
use crate::ffi;
use std::fmt;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::ptr::{self, NonNull};

/// Element types, with torch's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    Float32,
    Float64,
    Int64,
    Bool,
}

impl DType {
    pub fn raw(self) -> ffi::ember_dtype {
        match self {
            DType::Float32 => ffi::EMBER_FLOAT32,
            DType::Float64 => ffi::EMBER_FLOAT64,
            DType::Int64 => ffi::EMBER_INT64,
            DType::Bool => ffi::EMBER_BOOL,
        }
    }

    pub fn from_raw(raw: ffi::ember_dtype) -> Option<DType> {
        match raw {
            ffi::EMBER_FLOAT32 => Some(DType::Float32),
            ffi::EMBER_FLOAT64 => Some(DType::Float64),
            ffi::EMBER_INT64 => Some(DType::Int64),
            ffi::EMBER_BOOL => Some(DType::Bool),
            _ => None,
        }
    }

    pub fn is_floating(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64)
    }
}

/// Rust element types that cross the API as they are: f32, f64, i64, bool.
pub trait Element: Copy + Default + 'static {
    const DTYPE: DType;
}
impl Element for f32 {
    const DTYPE: DType = DType::Float32;
}
impl Element for f64 {
    const DTYPE: DType = DType::Float64;
}
impl Element for i64 {
    const DTYPE: DType = DType::Int64;
}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
}

/// An n-dimensional array that may carry an autograd history (torch.Tensor).
///
/// Owns one `ember_tensor` handle, freed on drop. `clone()` makes a second
/// handle to the same tensor (same storage and autograd identity, as a second
/// Python reference does); [`Tensor::deep_clone`] copies the data
/// (torch.clone).
pub struct Tensor {
    raw: NonNull<ffi::ember_tensor>,
}


impl Drop for Tensor {
    fn drop(&mut self) {
        unsafe { ffi::ember_tensor_free(self.raw.as_ptr()) }
    }
}

impl Clone for Tensor {
    fn clone(&self) -> Tensor {
        Tensor::from_call(|out| unsafe { ffi::ember_tensor_retain(self.as_ptr(), out) })
            .expect("ember_tensor_retain on a live handle")
    }
}

impl Tensor {
    /// Takes ownership of a handle the library returned. Null is an error.
    ///
    /// # Safety
    /// `raw` must be a live tensor handle that nobody else will free.
    pub unsafe fn from_raw(raw: *mut ffi::ember_tensor) -> Option<Tensor> {
        NonNull::new(raw).map(|raw| Tensor { raw })
    }

    /// The handle, still owned by `self`.
    pub fn as_ptr(&self) -> *mut ffi::ember_tensor {
        self.raw.as_ptr()
    }

    /// Gives up ownership: the caller must free the handle.
    pub fn into_raw(self) -> *mut ffi::ember_tensor {
        let raw = self.raw.as_ptr();
        std::mem::forget(self);
        raw
    }

    pub(crate) fn from_call(f: impl FnOnce(*mut *mut ffi::ember_tensor) -> ffi::ember_status) -> Result<Tensor> {
        let mut out = ptr::null_mut();
        check(f(&mut out))?;
        unsafe { Tensor::from_raw(out) }.ok_or_else(|| Error::new(ErrorKind::Internal, "the library returned no tensor"))
    }

    fn from_pair(f: impl FnOnce(*mut *mut ffi::ember_tensor, *mut *mut ffi::ember_tensor) -> ffi::ember_status) -> Result<(Tensor, Tensor)> {
        let (mut a, mut b) = (ptr::null_mut(), ptr::null_mut());
        check(f(&mut a, &mut b))?;
        match unsafe { (Tensor::from_raw(a), Tensor::from_raw(b)) } {
            (Some(a), Some(b)) => Ok((a, b)),
            _ => Err(Error::new(ErrorKind::Internal, "the library returned no tensor")),
        }
    }

    // MARK: creation

    /// A tensor holding a copy of `data` with `shape` (torch.tensor).
    pub fn from_slice<T: Element>(data: &[T], shape: &[i64]) -> Result<Tensor> {
        let numel: i64 = shape.iter().product();
        if numel != data.len() as i64 {
            return Err(Error::new(ErrorKind::Shape, format!("Tensor::from_slice: {} elements for shape {shape:?}", data.len())));
        }
        Self::from_call(|out| unsafe { ffi::ember_tensor_from_data(data.as_ptr().cast(), T::DTYPE.raw(), shape.as_ptr(), shape.len() as i64, out) })
    }

    /// A 0-dimensional tensor (a scalar).
    pub fn scalar<T: Element>(value: T) -> Result<Tensor> {
        Self::from_slice(&[value], &[])
    }

    /// float32 zeros (torch.zeros).
    pub fn zeros(shape: &[i64]) -> Result<Tensor> {
        Self::zeros_dtype(shape, DType::Float32)
    }

    pub fn zeros_dtype(shape: &[i64], dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_zeros(shape.as_ptr(), shape.len() as i64, dtype.raw(), out) })
    }

    /// float32 ones (torch.ones).
    pub fn ones(shape: &[i64]) -> Result<Tensor> {
        Self::ones_dtype(shape, DType::Float32)
    }

    pub fn ones_dtype(shape: &[i64], dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_ones(shape.as_ptr(), shape.len() as i64, dtype.raw(), out) })
    }

    /// Every element `value` (torch.full).
    pub fn full(shape: &[i64], value: f64, dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_full(shape.as_ptr(), shape.len() as i64, value, dtype.raw(), out) })
    }

    /// float32 samples from U[0, 1) (torch.rand; torch's numbers for the same seed).
    pub fn rand(shape: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_rand(shape.as_ptr(), shape.len() as i64, ffi::EMBER_FLOAT32, out) })
    }

    /// float32 samples from N(0, 1) (torch.randn).
    pub fn randn(shape: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_randn(shape.as_ptr(), shape.len() as i64, ffi::EMBER_FLOAT32, out) })
    }

    /// int64 integers from [low, high) (torch.randint).
    pub fn randint(low: i64, high: i64, shape: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_randint(low, high, shape.as_ptr(), shape.len() as i64, out) })
    }

    /// [start, start + step, ...) before `end` (torch.arange).
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_arange(start, end, step, dtype.raw(), out) })
    }

    /// `steps` values from `start` to `end` inclusive (torch.linspace).
    pub fn linspace(start: f64, end: f64, steps: i64, dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_linspace(start, end, steps, dtype.raw(), out) })
    }

    /// The n x m identity (torch.eye).
    pub fn eye(n: i64, m: i64, dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_tensor_eye(n, m, dtype.raw(), out) })
    }

    pub fn zeros_like(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_zeros_like(self.as_ptr(), out) })
    }

    pub fn ones_like(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_ones_like(self.as_ptr(), out) })
    }

    pub fn full_like(&self, value: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_full_like(self.as_ptr(), value, out) })
    }

    pub fn rand_like(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_rand_like(self.as_ptr(), out) })
    }

    pub fn randn_like(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_randn_like(self.as_ptr(), out) })
    }

    // MARK: metadata and elements

    pub fn dtype(&self) -> DType {
        DType::from_raw(unsafe { ffi::ember_tensor_dtype(self.as_ptr()) }).expect("a live tensor has a dtype")
    }

    pub fn ndim(&self) -> usize {
        unsafe { ffi::ember_tensor_ndim(self.as_ptr()) }.max(0) as usize
    }

    pub fn numel(&self) -> usize {
        unsafe { ffi::ember_tensor_numel(self.as_ptr()) }.max(0) as usize
    }

    /// The size of `dim` (negative counts from the end).
    pub fn size(&self, dim: i64) -> Result<i64> {
        let n = unsafe { ffi::ember_tensor_size(self.as_ptr(), dim) };
        if n < 0 { Err(Error::last(ffi::EMBER_ERR_INVALID_ARGUMENT)) } else { Ok(n) }
    }

    pub fn shape(&self) -> Vec<i64> {
        let mut shape = vec![0i64; self.ndim()];
        let status = unsafe { ffi::ember_tensor_shape(self.as_ptr(), shape.as_mut_ptr(), shape.len() as i64) };
        debug_assert_eq!(status, ffi::EMBER_OK);
        shape
    }

    pub fn is_contiguous(&self) -> bool {
        unsafe { ffi::ember_tensor_is_contiguous(self.as_ptr()) }
    }

    /// The elements, row-major. `T` must be the tensor's dtype (DType error otherwise).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if self.dtype() != T::DTYPE {
            return Err(Error::new(ErrorKind::DType, format!("Tensor::to_vec: the tensor is {:?}, not {:?}", self.dtype(), T::DTYPE)));
        }
        let mut v = vec![T::default(); self.numel()];
        check(unsafe { ffi::ember_tensor_copy_to(self.as_ptr(), v.as_mut_ptr().cast(), std::mem::size_of_val(v.as_slice())) })?;
        Ok(v)
    }

    /// Overwrites the elements from `data` (row-major; not recorded by autograd).
    pub fn copy_from_slice<T: Element>(&self, data: &[T]) -> Result<()> {
        if self.dtype() != T::DTYPE {
            return Err(Error::new(ErrorKind::DType, format!("Tensor::copy_from_slice: the tensor is {:?}, not {:?}", self.dtype(), T::DTYPE)));
        }
        check(unsafe { ffi::ember_tensor_copy_from(self.as_ptr(), data.as_ptr().cast(), std::mem::size_of_val(data)) })
    }

    /// The value of a one-element tensor (torch.Tensor.item).
    pub fn item(&self) -> Result<f64> {
        let mut v = 0.0;
        check(unsafe { ffi::ember_tensor_item(self.as_ptr(), &mut v) })?;
        Ok(v)
    }

    pub fn item_i64(&self) -> Result<i64> {
        let mut v = 0;
        check(unsafe { ffi::ember_tensor_item_int64(self.as_ptr(), &mut v) })?;
        Ok(v)
    }

    /// A copy of the data (torch.clone), recorded by autograd.
    pub fn deep_clone(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_clone(self.as_ptr(), out) })
    }

    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_to_dtype(self.as_ptr(), dtype.raw(), out) })
    }

    // MARK: autograd

    /// Marks the tensor as a leaf whose gradient is wanted (requires_grad_).
    pub fn set_requires_grad(&self, requires_grad: bool) -> Result<()> {
        check(unsafe { ffi::ember_tensor_set_requires_grad(self.as_ptr(), requires_grad) })
    }

    /// `self` with requires_grad set, for chaining: `Tensor::randn(&[3])?.requires_grad()?`.
    pub fn requires_grad(self) -> Result<Tensor> {
        self.set_requires_grad(true)?;
        Ok(self)
    }

    pub fn is_requires_grad(&self) -> bool {
        unsafe { ffi::ember_tensor_requires_grad(self.as_ptr()) }
    }

    pub fn is_leaf(&self) -> bool {
        unsafe { ffi::ember_tensor_is_leaf(self.as_ptr()) }
    }

    /// Backpropagates from a one-element tensor (loss.backward()).
    pub fn backward(&self) -> Result<()> {
        check(unsafe { ffi::ember_tensor_backward(self.as_ptr(), ptr::null()) })
    }

    /// backward with an explicit gradient and torch's retain_graph / create_graph.
    pub fn backward_with(&self, gradient: Option<&Tensor>, retain_graph: bool, create_graph: bool) -> Result<()> {
        let g = gradient.map_or(ptr::null(), |g| g.as_ptr() as *const _);
        check(unsafe { ffi::ember_tensor_backward_ex(self.as_ptr(), g, retain_graph, create_graph) })
    }

    /// The accumulated gradient (.grad), or None.
    pub fn grad(&self) -> Result<Option<Tensor>> {
        let mut out = ptr::null_mut();
        check(unsafe { ffi::ember_tensor_grad(self.as_ptr(), &mut out) })?;
        Ok(unsafe { Tensor::from_raw(out) })
    }

    /// Clears the gradient (.grad = None).
    pub fn zero_grad(&self) -> Result<()> {
        check(unsafe { ffi::ember_tensor_zero_grad(self.as_ptr()) })
    }

    /// The same storage, cut off from the graph (torch.Tensor.detach).
    pub fn detach(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_detach(self.as_ptr(), out) })
    }

    // MARK: binary ops (the named forms return Result; the operators panic)

    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_add(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_sub(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_mul(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_div(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn add_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_add_scalar(self.as_ptr(), s, out) })
    }
    pub fn sub_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_sub_scalar(self.as_ptr(), s, out) })
    }
    pub fn mul_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_mul_scalar(self.as_ptr(), s, out) })
    }
    pub fn div_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_div_scalar(self.as_ptr(), s, out) })
    }
    /// torch.matmul in all its forms.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_matmul(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn pow(&self, exponent: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_pow(self.as_ptr(), exponent.as_ptr(), out) })
    }
    pub fn pow_scalar(&self, exponent: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_pow_scalar(self.as_ptr(), exponent, out) })
    }
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_maximum(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_minimum(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn eq(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_eq(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn ne(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_ne(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn lt(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_lt(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn le(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_le(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn gt(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_gt(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn ge(&self, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_ge(self.as_ptr(), other.as_ptr(), out) })
    }
    pub fn gt_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_gt_scalar(self.as_ptr(), s, out) })
    }
    pub fn lt_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_lt_scalar(self.as_ptr(), s, out) })
    }
    pub fn eq_scalar(&self, s: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_eq_scalar(self.as_ptr(), s, out) })
    }
    /// torch.where(self, input, other): `self` is the bool condition.
    pub fn where_(&self, input: &Tensor, other: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_where(self.as_ptr(), input.as_ptr(), other.as_ptr(), out) })
    }
    pub fn clamp(&self, min: f64, max: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_clamp(self.as_ptr(), min, max, out) })
    }

    // MARK: reductions

    /// The sum of all elements (torch.sum).
    pub fn sum(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_sum(self.as_ptr(), out) })
    }
    pub fn sum_dim(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_sum_dim(self.as_ptr(), dims.as_ptr(), dims.len() as i64, keepdim, out) })
    }
    pub fn mean(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_mean(self.as_ptr(), out) })
    }
    pub fn mean_dim(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_mean_dim(self.as_ptr(), dims.as_ptr(), dims.len() as i64, keepdim, out) })
    }
    pub fn max(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_max(self.as_ptr(), out) })
    }
    pub fn min(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_min(self.as_ptr(), out) })
    }
    /// (values, indices) along `dim` (torch.max(x, dim)).
    pub fn max_dim(&self, dim: i64, keepdim: bool) -> Result<(Tensor, Tensor)> {
        Self::from_pair(|v, i| unsafe { ffi::ember_max_dim(self.as_ptr(), dim, keepdim, v, i) })
    }
    pub fn argmax_dim(&self, dim: i64, keepdim: bool) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_argmax_dim(self.as_ptr(), dim, keepdim, out) })
    }
    /// Variance with torch's `correction` (1: unbiased).
    pub fn var(&self, correction: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_var(self.as_ptr(), correction, out) })
    }
    pub fn std(&self, correction: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_std(self.as_ptr(), correction, out) })
    }
    pub fn norm(&self, p: f64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_norm(self.as_ptr(), p, out) })
    }
    pub fn softmax(&self, dim: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_softmax(self.as_ptr(), dim, out) })
    }
    pub fn log_softmax(&self, dim: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_log_softmax(self.as_ptr(), dim, out) })
    }
    pub fn cumsum(&self, dim: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_cumsum(self.as_ptr(), dim, out) })
    }

    // MARK: shape

    pub fn reshape(&self, shape: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_reshape(self.as_ptr(), shape.as_ptr(), shape.len() as i64, out) })
    }
    pub fn view(&self, shape: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_view(self.as_ptr(), shape.as_ptr(), shape.len() as i64, out) })
    }
    pub fn transpose(&self, dim0: i64, dim1: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_transpose(self.as_ptr(), dim0, dim1, out) })
    }
    /// The transpose of a 2-D tensor (torch.Tensor.t).
    pub fn t(&self) -> Result<Tensor> {
        self.transpose(0, 1)
    }
    pub fn permute(&self, dims: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_permute(self.as_ptr(), dims.as_ptr(), dims.len() as i64, out) })
    }
    pub fn expand(&self, shape: &[i64]) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_expand(self.as_ptr(), shape.as_ptr(), shape.len() as i64, out) })
    }
    pub fn unsqueeze(&self, dim: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_unsqueeze(self.as_ptr(), dim, out) })
    }
    pub fn squeeze(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_squeeze(self.as_ptr(), out) })
    }
    pub fn flatten(&self, start_dim: i64, end_dim: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_flatten(self.as_ptr(), start_dim, end_dim, out) })
    }
    pub fn contiguous(&self) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_contiguous(self.as_ptr(), out) })
    }
    /// `x[..., index, ...]` along `dim` (torch.select).
    pub fn select(&self, dim: i64, index: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_select(self.as_ptr(), dim, index, out) })
    }
    /// `x[start:stop:step]` along `dim`, Python's conventions; `stop` = i64::MAX runs to the end.
    pub fn slice(&self, dim: i64, start: i64, stop: i64, step: i64) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_slice(self.as_ptr(), dim, start, stop, step, out) })
    }
    pub fn index_select(&self, dim: i64, index: &Tensor) -> Result<Tensor> {
        Self::from_call(|out| unsafe { ffi::ember_index_select(self.as_ptr(), dim, index.as_ptr(), out) })
    }
    /// torch.cat.
    pub fn cat(tensors: &[&Tensor], dim: i64) -> Result<Tensor> {
        let raw: Vec<*const ffi::ember_tensor> = tensors.iter().map(|t| t.as_ptr() as *const _).collect();
        Self::from_call(|out| unsafe { ffi::ember_cat(raw.as_ptr(), raw.len() as i64, dim, out) })
    }
    /// torch.stack.
    pub fn stack(tensors: &[&Tensor], dim: i64) -> Result<Tensor> {
        let raw: Vec<*const ffi::ember_tensor> = tensors.iter().map(|t| t.as_ptr() as *const _).collect();
        Self::from_call(|out| unsafe { ffi::ember_stack(raw.as_ptr(), raw.len() as i64, dim, out) })
    }

    // MARK: in place

    /// self += other (torch.Tensor.add_), bumping the version counter.
    pub fn add_(&self, other: &Tensor) -> Result<()> {
        check(unsafe { ffi::ember_add_(self.as_ptr(), other.as_ptr(), 1.0) })
    }
    pub fn mul_scalar_(&self, s: f64) -> Result<()> {
        check(unsafe { ffi::ember_mul_scalar_(self.as_ptr(), s) })
    }
    pub fn fill_(&self, value: f64) -> Result<()> {
        check(unsafe { ffi::ember_fill_(self.as_ptr(), value) })
    }
    pub fn zero_(&self) -> Result<()> {
        check(unsafe { ffi::ember_zero_(self.as_ptr()) })
    }
}

macro_rules! unary {
    ($($(#[$m:meta])* $name:ident => $f:ident),* $(,)?) => {
        impl Tensor {
            $($(#[$m])* pub fn $name(&self) -> Result<Tensor> {
                Self::from_call(|out| unsafe { ffi::$f(self.as_ptr(), out) })
            })*
        }
    };
}

unary! {
    /// -x (torch.neg).
    neg => ember_neg, abs => ember_abs, sign => ember_sign, square => ember_square, sqrt => ember_sqrt,
    rsqrt => ember_rsqrt, exp => ember_exp, expm1 => ember_expm1, log => ember_log, log1p => ember_log1p,
    log2 => ember_log2, sin => ember_sin, cos => ember_cos, tan => ember_tan, tanh => ember_tanh,
    sigmoid => ember_sigmoid, relu => ember_relu, gelu => ember_gelu, silu => ember_silu, erf => ember_erf,
    floor => ember_floor, ceil => ember_ceil, round => ember_round, reciprocal => ember_reciprocal,
    logical_not => ember_logical_not,
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tensor(shape={:?}, dtype={:?}", self.shape(), self.dtype())?;
        if self.numel() <= 16 {
            match self.dtype() {
                DType::Float32 => write!(f, ", data={:?}", self.to_vec::<f32>().unwrap_or_default())?,
                DType::Float64 => write!(f, ", data={:?}", self.to_vec::<f64>().unwrap_or_default())?,
                DType::Int64 => write!(f, ", data={:?}", self.to_vec::<i64>().unwrap_or_default())?,
                DType::Bool => write!(f, ", data={:?}", self.to_vec::<bool>().unwrap_or_default())?,
            }
        }
        if self.is_requires_grad() {
            write!(f, ", requires_grad=true")?;
        }
        write!(f, ")")
    }
}

// MARK: operators. They panic with the library's message where the named
// methods return an error (as slice indexing panics where `get` returns None).

fn or_panic(r: Result<Tensor>) -> Tensor {
    r.unwrap_or_else(|e| panic!("{e}"))
}

macro_rules! binary_operator {
    ($Trait:ident, $op:ident, $method:ident, $scalar:ident) => {
        impl $Trait<&Tensor> for &Tensor {
            type Output = Tensor;
            fn $op(self, rhs: &Tensor) -> Tensor {
                or_panic(Tensor::$method(self, rhs))
            }
        }
        impl $Trait<Tensor> for Tensor {
            type Output = Tensor;
            fn $op(self, rhs: Tensor) -> Tensor {
                or_panic(Tensor::$method(&self, &rhs))
            }
        }
        impl $Trait<&Tensor> for Tensor {
            type Output = Tensor;
            fn $op(self, rhs: &Tensor) -> Tensor {
                or_panic(Tensor::$method(&self, rhs))
            }
        }
        impl $Trait<Tensor> for &Tensor {
            type Output = Tensor;
            fn $op(self, rhs: Tensor) -> Tensor {
                or_panic(Tensor::$method(self, &rhs))
            }
        }
        impl $Trait<f64> for &Tensor {
            type Output = Tensor;
            fn $op(self, rhs: f64) -> Tensor {
                or_panic(Tensor::$scalar(self, rhs))
            }
        }
        impl $Trait<f64> for Tensor {
            type Output = Tensor;
            fn $op(self, rhs: f64) -> Tensor {
                or_panic(Tensor::$scalar(&self, rhs))
            }
        }
    };
}

binary_operator!(Add, add, add, add_scalar);
binary_operator!(Sub, sub, sub, sub_scalar);
binary_operator!(Mul, mul, mul, mul_scalar);
binary_operator!(Div, div, div, div_scalar);

// scalar + tensor, scalar * tensor, scalar - tensor, scalar / tensor
impl Add<&Tensor> for f64 {
    type Output = Tensor;
    fn add(self, rhs: &Tensor) -> Tensor {
        or_panic(rhs.add_scalar(self))
    }
}
impl Mul<&Tensor> for f64 {
    type Output = Tensor;
    fn mul(self, rhs: &Tensor) -> Tensor {
        or_panic(rhs.mul_scalar(self))
    }
}
impl Sub<&Tensor> for f64 {
    type Output = Tensor;
    fn sub(self, rhs: &Tensor) -> Tensor {
        or_panic(rhs.neg().and_then(|n| n.add_scalar(self)))
    }
}
impl Div<&Tensor> for f64 {
    type Output = Tensor;
    fn div(self, rhs: &Tensor) -> Tensor {
        or_panic(rhs.reciprocal().and_then(|r| r.mul_scalar(self)))
    }
}

impl Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        or_panic(Tensor::neg(self))
    }
}
impl Neg for Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        or_panic(Tensor::neg(&self))
    }
}
