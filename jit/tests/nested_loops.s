# Nested counted loops over the input and the frame, a counter spilled to a frame slot:
# the shapes whose loop-head seeds carry pointers, slots, classes and relations (the
# seeds' tests, jit/tests/seeds.rs and jit/src/analysis/domain/seeds.rs).
mov %r6, 0
outer: mov %r7, 0
    stxdw [%r10-8], %r6
middle: mov %r2, %r10
    add %r2, -256
    mov %r3, %r1
    mov %r8, 0
    mov %r0, 0
inner:  ldxw %r4, [%r2+0]
    ldxw %r5, [%r3+0]
    mul %r4, %r5
    add %r0, %r4
    add %r2, 4
    add %r3, 4
    add %r8, 1
    jlt %r8, 8, inner
    add %r7, 1
    jlt %r7, 8, middle
    ldxdw %r6, [%r10-8]
    add %r6, 1
    jlt %r6, 8, outer
    exit
