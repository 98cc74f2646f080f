// The exports of handler ABI v1. A handler module re-exports them from its entry file:
//
//   export * from "esruntime-sdk/assembly/abi";

import { abiAlloc, abiApply, abiDescribe, abiHandle, abiInit, abiValidate } from "./index";

export function esr_abi_version(): i32 {
  return 1;
}

export function esr_alloc(size: i32): i32 {
  return abiAlloc(size);
}

export function esr_describe(): i64 {
  return abiDescribe();
}

export function esr_init(): i64 {
  return abiInit();
}

export function esr_apply(ptr: i32, len: i32): i64 {
  return abiApply(ptr, len);
}

export function esr_handle(ptr: i32, len: i32): i64 {
  return abiHandle(ptr, len);
}

export function esr_validate(ptr: i32, len: i32): i64 {
  return abiValidate(ptr, len);
}
