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
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #80]
#     0: stdw [%r10-8], 287454020
#           12  movw r2, #13124
#           16  movt r2, #4386
#           20  str r2, [r4, #-8]
#           24  movs r3, #0
#           26  str r3, [r4, #-4]
#     1: stdw [%r10-16], 1432778632
#           30  movw r2, #30600
#           34  movt r2, #21862
#           38  str r2, [r4, #-16]
#           42  str r3, [r4, #-12]
#     2: mov %r2, %r10
#           46  sub.w r5, r4, #16
#     3: add %r2, -16
#     4: ldxb %r3, [%r2+0]
#           50  ldr r6, [r5]
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
#           52  ldrb r5, [r4, #-6]
#           56  ldr r11, [r4, #-16]
#           60  ldr r10, [r4, #-12]
#           64  ldr r9, [r4, #-8]
#           68  rev.w r9, r9
#           72  ldrh r8, [r4, #-4]
#           76  rev16.w r8, r8
#           80  ldr r0, [r4, #-8]
#           84  str r0, [r7, #56]
#           86  ldrb r0, [r4, #-8]
#           90  str r0, [r7, #64]
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
#           92  lsl.w r5, r5, #8
#    58: or32 %r8, %r3
#           96  orr.w r0, r0, r5
#          100  str r0, [r7, #64]
#    59: mov %r0, %r2
#    60: add %r0, %r4
#          102  adds.w r6, r6, r11
#          106  adc r5, r10, #0
#    61: add %r0, %r5
#          110  adds.w r6, r6, r9
#          114  adc r5, r5, #0
#    62: add %r0, %r6
#          118  adds.w r6, r6, r8
#          122  adc r5, r5, #0
#    63: add %r0, %r7
#          126  ldr r2, [r7, #56]
#          128  adds.w r6, r6, r2
#          132  adc r5, r5, #0
#    64: add %r0, %r8
#          136  ldr r2, [r7, #64]
#          138  adds.w r6, r6, r2
#          142  adc r5, r5, #0
#    65: exit
#          146  strd r6, r5, [r7]
#          150  b.w #16
#          154  mov.w r0, #1
#          158  b.w #12
#          162  mov.w r0, #2
#          166  b.w #4
#          170  mov.w r0, #0
#          174  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
