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
#           10  ldr r5, [r7, #8]
#           12  ldr r4, [r7, #80]
#           14  sub.w r4, r4, #256
#     0: stxdw [%r10-8], %r1
#           18  str.w r5, [r4, #248]
#           22  movs r3, #0
#           24  str.w r3, [r4, #252]
#     1: stxdw [%r10-300], %r1
#           28  str r5, [r4, #-44]
#           32  str r3, [r4, #-40]
#     2: ldxdw %r0, [%r10-300]
#           36  ldr r6, [r4, #-40]
#           40  ldr r8, [r4, #-44]
#     3: mov %r2, %r10
#           44  sub.w r5, r4, #144
#     4: add %r2, -400
#     5: stxw [%r2+0], %r0
#           48  str.w r8, [r5]
#     6: ldxw %r3, [%r10-400]
#           52  ldr r5, [r4, #-144]
#     7: add %r0, %r3
#           56  adds.w r8, r8, r5
#           60  adc r6, r6, #0
#     8: ldxw %r3, [%r10-4]
#           64  ldr.w r5, [r4, #252]
#     9: add %r0, %r3
#           68  adds.w r8, r8, r5
#           72  adc r6, r6, #0
#    10: exit
#           76  strd r8, r6, [r7]
#           80  b.w #16
#           84  mov.w r0, #1
#           88  b.w #12
#           92  mov.w r0, #2
#           96  b.w #4
#          100  mov.w r0, #0
#          104  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
