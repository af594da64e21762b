//! Read a Python object's bytes in place through the buffer protocol (`bytes`, `bytearray`,
//! `array.array`, `memoryview`, numpy arrays: anything C-contiguous).
//!
//! Arguments typed `&[u8]` only accept `bytes`, so a caller holding an `array.array` must copy
//! it first (`bytes(arr)`), and the callee then copies it again into its own vectors. For the
//! witness program of a mainnet circuit that is ~1.2 GB copied twice per program made. A
//! `Buffer` is the object's own memory instead, held (and the exporter prevented from resizing
//! it) until the `Buffer` is dropped.
//!
//! pyo3's `PyBuffer` is not available in an abi3-py310 build (the buffer functions joined the
//! limited API in 3.11), so the two functions are declared here; CPython has exported them,
//! with this `Py_buffer` layout, since 3.0.
use std::ffi::{c_char, c_int, c_void};

use pyo3::ffi;
use pyo3::prelude::*;

#[repr(C)]
struct PyBufferRaw {
    buf: *mut c_void,
    obj: *mut ffi::PyObject,
    len: ffi::Py_ssize_t,
    itemsize: ffi::Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut c_char,
    shape: *mut ffi::Py_ssize_t,
    strides: *mut ffi::Py_ssize_t,
    suboffsets: *mut ffi::Py_ssize_t,
    internal: *mut c_void,
}

extern "C" {
    fn PyObject_GetBuffer(obj: *mut ffi::PyObject, view: *mut PyBufferRaw, flags: c_int) -> c_int;
    fn PyBuffer_Release(view: *mut PyBufferRaw);
}

const PYBUF_SIMPLE: c_int = 0; // contiguous bytes, no format or shape asked for

/// A Python object's contiguous bytes, borrowed in place until dropped.
pub struct Buffer<'py> {
    raw: Box<PyBufferRaw>,
    _py: Python<'py>, // the GIL is held for the buffer's life (and for its release)
}

impl<'py> Buffer<'py> {
    pub fn get(obj: &Bound<'py, PyAny>) -> PyResult<Self> {
        let mut raw = Box::new(PyBufferRaw {
            buf: std::ptr::null_mut(),
            obj: std::ptr::null_mut(),
            len: 0,
            itemsize: 0,
            readonly: 0,
            ndim: 0,
            format: std::ptr::null_mut(),
            shape: std::ptr::null_mut(),
            strides: std::ptr::null_mut(),
            suboffsets: std::ptr::null_mut(),
            internal: std::ptr::null_mut(),
        });
        // SAFETY: obj is a live object (we hold a reference and the GIL); on success the
        // exporter filled `raw` and keeps the memory valid until PyBuffer_Release.
        if unsafe { PyObject_GetBuffer(obj.as_ptr(), &mut *raw, PYBUF_SIMPLE) } != 0 {
            return Err(PyErr::fetch(obj.py()));
        }
        Ok(Buffer { raw, _py: obj.py() })
    }

    pub fn bytes(&self) -> &[u8] {
        if self.raw.len == 0 || self.raw.buf.is_null() {
            return &[];
        }
        // SAFETY: PYBUF_SIMPLE asks for `len` contiguous bytes at `buf`, valid while held.
        unsafe { std::slice::from_raw_parts(self.raw.buf as *const u8, self.raw.len as usize) }
    }
}

impl Drop for Buffer<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` was filled by a successful PyObject_GetBuffer, released once; the
        // GIL is held ('py).
        unsafe { PyBuffer_Release(&mut *self.raw) }
    }
}
