#!/usr/bin/env python3
"""Writes tests/rtl/test_intsafe_conv.inc: for every Rtl<From>To<To>
conversion of ntintsafe.h that can fail, calls at the target's bounds, one
past them, 0, 1, -1 and the source's own bounds, with the expected status
and result computed here from the types' ranges (x64: SIZE_T and the *Ptr
types are 64 bits), independently of the C code.

    python3 tests/rtl/make_intsafe_conv.py > tests/rtl/test_intsafe_conv.inc
"""
U=[('UChar','UCHAR',8),('UInt8','UINT8',8),('Byte','BYTE',8),('UShort','USHORT',16),('Word','WORD',16),
   ('UInt','UINT',32),('ULong','ULONG',32),('DWord','DWORD',32),('ULongLong','ULONGLONG',64),('DWordLong','DWORDLONG',64),
   ('ULong64','ULONG64',64),('DWord64','DWORD64',64),('UInt64','UINT64',64),('SizeT','size_t','P'),('SIZET','SIZE_T','P'),
   ('ULongPtr','ULONG_PTR','P'),('DWordPtr','DWORD_PTR','P'),('UIntPtr','UINT_PTR','P')]
S=[('Int8','INT8',8),('Short','SHORT',16),('Int','INT',32),('Long','LONG',32),('LongLong','LONGLONG',64),
   ('Int64','INT64',64),('Long64','LONG64',64),('LongPtr','LONG_PTR','P'),('IntPtr','INT_PTR','P'),('SSIZET','SSIZE_T','P'),('PtrdiffT','ptrdiff_t','P')]
def umax(b): return 'UINTPTR_MAX' if b=='P' else {8:'0xFFu',16:'0xFFFFu',32:'0xFFFFFFFFu',64:'UINT64_MAX'}[b]
def smax(b): return 'INTPTR_MAX' if b=='P' else {8:'127',16:'32767',32:'2147483647',64:'INT64_MAX'}[b]
def smin(b): return 'INTPTR_MIN' if b=='P' else {8:'(-128)',16:'(-32768)',32:'(-2147483647 - 1)',64:'INT64_MIN'}[b]
def bits(b): return 64 if b=='P' else b   # x64 / LP64 hosts
def rng(b,s):
    n=64 if b=='P' else b
    return (-(1<<(n-1)), (1<<(n-1))-1) if s else (0,(1<<n)-1)
def lit(v,signed):
    if v==-(1<<63): return '(-9223372036854775807LL - 1)'
    if v<0: return '(%dLL)'%v
    return '%dULL'%v
allt=[(n,t,b,False) for n,t,b in U]+[(n,t,b,True) for n,t,b in S]
lines=[]
for fn_,ft,fb,fs in allt:
    flo,fhi=rng(fb,fs)
    for tn,tt,tb,ts in allt:
        if fn_==tn: continue
        tlo,thi=rng(tb,ts)
        if flo>=tlo and fhi<=thi: continue
        cands={tlo,thi,tlo-1,thi+1,0,flo,fhi,-1,1}
        for v in sorted(cands):
            if v<flo or v>fhi: continue
            ok = tlo<=v<=thi
            exp = lit(v,ts) if ok else '(%s)-1'%tt if ts else '(%s)~(%s)0'%(tt,tt)
            lines.append('  CONV(Rtl%sTo%s, %s, %s, (%s)%s, %s, %s);'%(fn_,tn,ft,tt,ft,lit(v,fs),'1' if ok else '0', '(%s)%s'%(tt,lit(v,ts)) if ok else ('(%s)-1'%tt)))
print('\n'.join(lines))
