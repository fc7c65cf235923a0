//! An operator on tensors that do not fit panics with the library's message
//! (the named method returns it as an error). Its own test binary, so the
//! quiet panic hook cannot hide another test's failure.

use ember::Tensor;

#[test]
fn operators_panic_with_the_message() {
    let a = Tensor::from_slice(&[1f32, 2.0], &[2]).unwrap();
    let b = Tensor::from_slice(&[1f32, 2.0, 3.0], &[3]).unwrap();
    assert!(a.add(&b).unwrap_err().message.contains("ember_add"));
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(|| &a + &b);
    let _ = std::panic::take_hook();
    let msg = r.unwrap_err().downcast::<String>().unwrap();
    assert!(msg.starts_with("EMBER_ERR_SHAPE: ember_add"), "{msg}");
}
