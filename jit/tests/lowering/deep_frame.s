# A frame deeper than 255 bytes: r10's home holds r10 - 256, so every access from
# r10 - 512 up is one instruction (a positive 12-bit offset), and r10 as a value
# (r2 below) takes the bias back in the constant it is added to.
stxdw [%r10-8], %r1
stxdw [%r10-300], %r1
ldxdw %r0, [%r10-300]
mov %r2, %r10
add %r2, -400
stxw [%r2+0], %r0
ldxw %r3, [%r10-400]
add %r0, %r3
ldxw %r3, [%r10-4]
add %r0, %r3
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r10, [r7, #8]
#           14  ldr r4, [r7, #80]
#           16  sub.w r4, r4, #256
#     0: stxdw [%r10-8], %r1
#           20  str.w r10, [r4, #248]
#           24  movs r3, #0
#           26  str.w r3, [r4, #252]
#     1: stxdw [%r10-300], %r1
#           30  str r10, [r4, #-44]
#           34  movs r3, #0
#           36  str r3, [r4, #-40]
#     2: ldxdw %r0, [%r10-300]
#           40  ldr r6, [r4, #-40]
#           44  ldr r5, [r4, #-44]
#     3: mov %r2, %r10
#           48  sub.w r9, r4, #144
#     4: add %r2, -400
#     5: stxw [%r2+0], %r0
#           52  str.w r5, [r9]
#     6: ldxw %r3, [%r10-400]
#           56  ldr r8, [r4, #-144]
#     7: add %r0, %r3
#           60  adds.w r5, r5, r8
#           64  adc r6, r6, #0
#     8: ldxw %r3, [%r10-4]
#           68  ldr.w r8, [r4, #252]
#     9: add %r0, %r3
#           72  adds.w r5, r5, r8
#           76  adc r6, r6, #0
#    10: exit
#           80  strd r5, r6, [r7]
#           84  b.w #16
#           88  mov.w r0, #1
#           92  b.w #12
#           96  mov.w r0, #2
#          100  b.w #4
#          104  mov.w r0, #0
#          108  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
