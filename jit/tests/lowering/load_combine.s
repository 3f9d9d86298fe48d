# Values assembled from narrow loads of the frame, each one load: a little-endian word
# from bytes whose base is overwritten by the last load (r2, as bubble sort reads it);
# a little-endian 64-bit value from bytes in clang's interleaved order (r4); big-endian
# words and halves (r5: ldr + rev, r6: ldrh + rev16); a word from two halves (r7). Not
# taken: bytes with a gap between them (r8).
stdw [%r10-8], 0x11223344
stdw [%r10-16], 0x55667788
mov %r2, %r10
add %r2, -16
ldxb %r3, [%r2+0]
ldxb %r1, [%r2+1]
lsh32 %r1, 8
or32 %r1, %r3
ldxb %r3, [%r2+2]
lsh32 %r3, 16
or32 %r1, %r3
ldxb %r2, [%r2+3]
lsh32 %r2, 24
or32 %r1, %r2
mov %r2, %r1
ldxb %r7, [%r10-9]
ldxb %r1, [%r10-10]
ldxb %r8, [%r10-11]
ldxb %r4, [%r10-12]
lsh %r4, 24
ldxb %r6, [%r10-13]
lsh %r6, 16
or %r4, %r6
lsh32 %r7, 16
lsh32 %r1, 8
or32 %r1, %r7
or32 %r1, %r8
lsh %r1, 32
or %r1, %r4
ldxb %r4, [%r10-14]
lsh %r4, 8
ldxb %r6, [%r10-15]
or %r4, %r6
or %r4, %r1
lsh %r4, 8
ldxb %r1, [%r10-16]
or %r4, %r1
ldxb %r5, [%r10-8]
lsh32 %r5, 24
ldxb %r3, [%r10-7]
lsh32 %r3, 16
or32 %r5, %r3
ldxb %r3, [%r10-6]
lsh32 %r3, 8
or32 %r5, %r3
ldxb %r3, [%r10-5]
or32 %r5, %r3
ldxb %r6, [%r10-4]
lsh32 %r6, 8
ldxb %r3, [%r10-3]
or32 %r6, %r3
ldxh %r7, [%r10-8]
ldxh %r3, [%r10-6]
lsh32 %r3, 16
or32 %r7, %r3
ldxb %r8, [%r10-8]
ldxb %r3, [%r10-6]
lsh32 %r3, 8
or32 %r8, %r3
mov %r0, %r2
add %r0, %r4
add %r0, %r5
add %r0, %r6
add %r0, %r7
add %r0, %r8
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr r4, [r7, #80]
#     0: stdw [%r10-8], 287454020
#            8  movw r2, #13124
#           12  movt r2, #4386
#           16  str r2, [r4, #-8]
#           20  movs r3, #0
#           22  str r3, [r4, #-4]
#     1: stdw [%r10-16], 1432778632
#           26  movw r2, #30600
#           30  movt r2, #21862
#           34  str r2, [r4, #-16]
#           38  str r3, [r4, #-12]
#     2: mov %r2, %r10
#           42  sub.w r5, r4, #16
#     3: add %r2, -16
#     4: ldxb %r3, [%r2+0]
#           46  ldr r6, [r5]
#     5: ldxb %r1, [%r2+1]
#     6: lsh32 %r1, 0x8
#     7: or32 %r1, %r3
#     8: ldxb %r3, [%r2+2]
#     9: lsh32 %r3, 0x10
#    10: or32 %r1, %r3
#    11: ldxb %r2, [%r2+3]
#    12: lsh32 %r2, 0x18
#    13: or32 %r1, %r2
#    14: mov %r2, %r1
#    15: ldxb %r7, [%r10-9]
#           48  ldrb r5, [r4, #-6]
#           52  ldr r11, [r4, #-16]
#           56  ldr r10, [r4, #-12]
#           60  ldr r9, [r4, #-8]
#           64  rev.w r9, r9
#           68  ldrh r8, [r4, #-4]
#           72  rev16.w r8, r8
#           76  ldr r0, [r4, #-8]
#           80  str r0, [r7, #56]
#           82  ldrb lr, [r4, #-8]
#    16: ldxb %r1, [%r10-10]
#    17: ldxb %r8, [%r10-11]
#    18: ldxb %r4, [%r10-12]
#    19: lsh %r4, 24
#    20: ldxb %r6, [%r10-13]
#    21: lsh %r6, 16
#    22: or %r4, %r6
#    23: lsh32 %r7, 0x10
#    24: lsh32 %r1, 0x8
#    25: or32 %r1, %r7
#    26: or32 %r1, %r8
#    27: lsh %r1, 32
#    28: or %r1, %r4
#    29: ldxb %r4, [%r10-14]
#    30: lsh %r4, 8
#    31: ldxb %r6, [%r10-15]
#    32: or %r4, %r6
#    33: or %r4, %r1
#    34: lsh %r4, 8
#    35: ldxb %r1, [%r10-16]
#    36: or %r4, %r1
#    37: ldxb %r5, [%r10-8]
#    38: lsh32 %r5, 0x18
#    39: ldxb %r3, [%r10-7]
#    40: lsh32 %r3, 0x10
#    41: or32 %r5, %r3
#    42: ldxb %r3, [%r10-6]
#    43: lsh32 %r3, 0x8
#    44: or32 %r5, %r3
#    45: ldxb %r3, [%r10-5]
#    46: or32 %r5, %r3
#    47: ldxb %r6, [%r10-4]
#    48: lsh32 %r6, 0x8
#    49: ldxb %r3, [%r10-3]
#    50: or32 %r6, %r3
#    51: ldxh %r7, [%r10-8]
#    52: ldxh %r3, [%r10-6]
#    53: lsh32 %r3, 0x10
#    54: or32 %r7, %r3
#    55: ldxb %r8, [%r10-8]
#    56: ldxb %r3, [%r10-6]
#    57: lsh32 %r3, 0x8
#           86  lsl.w r5, r5, #8
#    58: or32 %r8, %r3
#           90  orr.w lr, lr, r5
#    59: mov %r0, %r2
#    60: add %r0, %r4
#           94  adds.w r6, r6, r11
#           98  adc r5, r10, #0
#    61: add %r0, %r5
#          102  adds.w r6, r6, r9
#          106  adc r5, r5, #0
#    62: add %r0, %r6
#          110  adds.w r6, r6, r8
#          114  adc r5, r5, #0
#    63: add %r0, %r7
#          118  ldr r2, [r7, #56]
#          120  adds.w r6, r6, r2
#          124  adc r5, r5, #0
#    64: add %r0, %r8
#          128  adds.w r6, r6, lr
#          132  adc r5, r5, #0
#    65: exit
#          136  strd r6, r5, [r7]
#          140  b.w #16
#          144  mov.w r0, #1
#          148  b.w #12
#          152  mov.w r0, #2
#          156  b.w #4
#          160  mov.w r0, #0
#          164  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
