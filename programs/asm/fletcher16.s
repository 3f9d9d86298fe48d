# Fletcher-16 over the input (r1 = address, r2 = length), µBPF's reference kernel:
# sum1 = (sum1 + byte) % 255; sum2 = (sum2 + sum1) % 255; result = sum2 << 8 | sum1.
mov %r3, 0
mov %r4, 0
mov %r5, %r1
add %r2, %r1
loop:
jge %r5, %r2, done
ldxb %r6, [%r5+0]
add %r3, %r6
mod %r3, 255
add %r4, %r3
mod %r4, 255
add %r5, 1
ja loop
done:
lsh %r4, 8
or %r4, %r3
mov %r0, %r4
exit
