;; The SIP header scan (parse.ts), in WebAssembly with SIMD: 16 bytes a step for the line ends and
;; the end of each header name, where the JS scan paid a native call per line and a loop per name.
;; scripts/build-wasm.sh compiles it into header-scan-wasm.ts; header-scan.test.ts holds the two to
;; the same bytes, and this scan to the JS one it replaced on generated and mutated messages.
;;
;; Memory: the message at 0 (at most 65535 bytes: MAX_MESSAGE_BYTES), the header slots at 65536,
;; two i32 a header: nameStart << 16 | nameEnd, valueStart << 16 | valueEnd (at most 256 headers);
;; at 67584 the body's start (-1: no blank line), at 67588 1 when a header was folded (in memory,
;; not globals: reading a WebAssembly.Global from JS is a slow API call). Vector loads may read up
;; to 15 bytes past the message; whatever lies there is masked out by the position checks.
(module
  (memory (export "memory") 2)

  ;; The first position in [p, n) holding byte b, or n.
  (func $find (param $p i32) (param $n i32) (param $b i32) (result i32)
    (local $m i32) (local $v v128)
    (local.set $v (i8x16.splat (local.get $b)))
    (block $out
      (loop $step
        (br_if $out (i32.ge_u (local.get $p) (local.get $n)))
        (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $p)) (local.get $v))))
        (if (local.get $m)
          (then
            (local.set $p (i32.add (local.get $p) (i32.ctz (local.get $m))))
            (return (select (local.get $p) (local.get $n) (i32.lt_u (local.get $p) (local.get $n))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step)))
    (local.get $n))

  ;; The first position in [p, e) holding a colon, a space or a tab (a header name's end), or e.
  (func $nameEnd (param $p i32) (param $e i32) (result i32)
    (local $m i32) (local $x v128)
    (block $out
      (loop $step
        (br_if $out (i32.ge_u (local.get $p) (local.get $e)))
        (local.set $x (v128.load (local.get $p)))
        (local.set $m (i8x16.bitmask (v128.or (v128.or
            (i8x16.eq (local.get $x) (i8x16.splat (i32.const 58)))
            (i8x16.eq (local.get $x) (i8x16.splat (i32.const 32))))
            (i8x16.eq (local.get $x) (i8x16.splat (i32.const 9))))))
        (if (local.get $m)
          (then
            (local.set $p (i32.add (local.get $p) (i32.ctz (local.get $m))))
            (return (select (local.get $p) (local.get $e) (i32.lt_u (local.get $p) (local.get $e))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step)))
    (local.get $e))

  ;; Scans the header lines of the n-byte message from `from`: returns how many headers it recorded,
  ;; or -1 a line without a colon, -2 a bad name, -3 a fold before any header, -4 over 256 headers.
  (func (export "scan") (param $n i32) (param $from i32) (result i32)
    (local $pos i32) (local $nl i32) (local $end i32) (local $k i32) (local $c i32)
    (local $count i32) (local $name i32) (local $value i32) (local $slot i32) (local $m i32)
    (i32.store (i32.const 67584) (i32.const -1))
    (i32.store (i32.const 67588) (i32.const 0))
    (local.set $pos (local.get $from))
    (block $done
      (loop $line
        (br_if $done (i32.ge_u (local.get $pos) (local.get $n)))
        ;; The line's end: the first newline from pos, 16 bytes a step (n when there is none).
        (local.set $nl (local.get $pos))
        (block $found
          (loop $step
            (if (i32.ge_u (local.get $nl) (local.get $n))
              (then (local.set $nl (local.get $n)) (br $found)))
            (local.set $m (i8x16.bitmask (i8x16.eq (v128.load (local.get $nl)) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))))
            (if (local.get $m)
              (then
                (local.set $nl (i32.add (local.get $nl) (i32.ctz (local.get $m))))
                (if (i32.gt_u (local.get $nl) (local.get $n)) (then (local.set $nl (local.get $n))))
                (br $found)))
            (local.set $nl (i32.add (local.get $nl) (i32.const 16)))
            (br $step)))
        (local.set $end (local.get $nl))
        (if (i32.and (i32.gt_u (local.get $end) (local.get $pos))
                     (i32.eq (i32.load8_u (i32.sub (local.get $end) (i32.const 1))) (i32.const 13)))
          (then (local.set $end (i32.sub (local.get $end) (i32.const 1)))))
        ;; The blank line: the headers end, the body follows.
        (if (i32.eq (local.get $end) (local.get $pos))
          (then
            (i32.store (i32.const 67584) (select (local.get $n) (i32.add (local.get $nl) (i32.const 1)) (i32.ge_u (local.get $nl) (local.get $n))))
            (return (local.get $count))))
        (block $trimmed
          (loop $trim
            (br_if $trimmed (i32.le_u (local.get $end) (local.get $pos)))
            (local.set $c (i32.load8_u (i32.sub (local.get $end) (i32.const 1))))
            (br_if $trimmed (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))))
            (local.set $end (i32.sub (local.get $end) (i32.const 1)))
            (br $trim)))
        (local.set $c (i32.load8_u (local.get $pos)))
        (if (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
          (then
            ;; A continuation line (RFC 3261 7.3.1): it extends the previous header's value.
            (if (i32.eqz (local.get $count)) (then (return (i32.const -3))))
            (local.set $slot (i32.add (i32.const 65536) (i32.sub (i32.shl (local.get $count) (i32.const 3)) (i32.const 4))))
            (if (i32.gt_u (local.get $end) (local.get $pos))
              (then (i32.store (local.get $slot) (i32.or (i32.and (i32.load (local.get $slot)) (i32.const 0xffff0000)) (local.get $end)))))
            (i32.store (i32.const 67588) (i32.const 1)))
          (else
            ;; The name ends at the first colon or blank; only blanks may sit between it and the colon.
            (local.set $name (call $nameEnd (local.get $pos) (local.get $end)))
            (local.set $k (local.get $name))
            (block $named
              (loop $blanks
                (br_if $named (i32.ge_u (local.get $k) (local.get $end)))
                (local.set $c (i32.load8_u (local.get $k)))
                (br_if $named (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $blanks)))
            (if (i32.ge_u (local.get $k) (local.get $end)) (then (return (i32.const -1))))
            (if (i32.ne (i32.load8_u (local.get $k)) (i32.const 58))
              (then (return (select (i32.const -1) (i32.const -2) (i32.ge_u (call $find (local.get $k) (local.get $end) (i32.const 58)) (local.get $end))))))
            (if (i32.eq (local.get $name) (local.get $pos)) (then (return (i32.const -2))))
            (if (i32.ge_u (local.get $count) (i32.const 256)) (then (return (i32.const -4))))
            (local.set $value (i32.add (local.get $k) (i32.const 1)))
            (block $valued
              (loop $blanks
                (br_if $valued (i32.ge_u (local.get $value) (local.get $end)))
                (local.set $c (i32.load8_u (local.get $value)))
                (br_if $valued (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))))
                (local.set $value (i32.add (local.get $value) (i32.const 1)))
                (br $blanks)))
            (local.set $slot (i32.add (i32.const 65536) (i32.shl (local.get $count) (i32.const 3))))
            (i32.store (local.get $slot) (i32.or (i32.shl (local.get $pos) (i32.const 16)) (local.get $name)))
            (i32.store offset=4 (local.get $slot) (i32.or (i32.shl (local.get $value) (i32.const 16)) (local.get $end)))
            (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (br_if $done (i32.ge_u (local.get $nl) (local.get $n)))
        (local.set $pos (i32.add (local.get $nl) (i32.const 1)))
        (br $line)))
    (local.get $count))
)
