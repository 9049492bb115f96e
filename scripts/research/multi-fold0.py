# Research (not shipped; round multi10): the fold-0 numpy experiments on the multi-model score tables
# recorded in the README ("A listwise view"). Input: the dumps of scripts/research/dump-views-input.ts
# (the USE vectors of each prompt's focus, scores, hash folds):
#   node --import tsx scripts/research/dump-views-input.ts ../shared/eval-data/llmrouter_dcrouter_scores.csv /tmp/m10/llmr
#   python3 scripts/research/multi-fold0.py /tmp/m10/llmr
# Every figure is on hash fold 0 (trained on the other folds, at most 4,000 rows as the live stack);
# gain = routed quality − the best single model's, in points. Needs numpy only.
import json, numpy as np, sys
def load(name):
    d=json.load(open(f'{name}.json'))
    X=np.fromfile(f'{name}.f32',dtype=np.float32).reshape(-1,d['dims']).astype(np.float64)
    X/=np.linalg.norm(X,axis=1,keepdims=True)+1e-12
    S=np.array(d['scores'],dtype=float)
    return d,X,S,np.array(d['outer']),np.array(d['inner'])
def gain(S,pred):
    pick=pred.argmax(1)
    return 100*(S[np.arange(len(S)),pick].mean()-S.mean(0).max())
def knn(Xtr,Str,Xte,k=50,temp=None,exclude_self=False):
    sim=Xte@Xtr.T
    if exclude_self: np.fill_diagonal(sim,-9)
    idx=np.argpartition(-sim,k,axis=1)[:,:k]
    s=np.take_along_axis(sim,idx,1)
    w=np.ones_like(s) if temp is None else np.exp((s-s.max(1,keepdims=True))/temp)
    w/=w.sum(1,keepdims=True)
    return np.einsum('nk,nkm->nm',w,Str[idx])
def ridge(Xtr,Ytr,Xte,lam=1.0):
    mu=Xtr.mean(0); ym=Ytr.mean(0)
    A=Xtr-mu
    W=np.linalg.solve(A.T@A+lam*np.eye(A.shape[1]),A.T@(Ytr-ym))
    return (Xte-mu)@W+ym
def softpolicy(Xtr,Str,Xte,l2=1e-3,epochs=300,lr=0.05,mode='exp',tau=1.0):
    n,dd=Xtr.shape; M=Str.shape[1]
    A=np.hstack([Xtr,np.ones((n,1))]); B=np.hstack([Xte,np.ones((len(Xte),1))])
    W=np.zeros((dd+1,M)); m1=np.zeros_like(W); v1=np.zeros_like(W)
    R=Str-Str.mean(1,keepdims=True)
    if mode=='ce':
        best=(Str==Str.max(1,keepdims=True)).astype(float); keep=Str.max(1)>Str.min(1)
        T=best/best.sum(1,keepdims=True)
    for t in range(1,epochs+1):
        Z=A@W/tau; Z-=Z.max(1,keepdims=True); P=np.exp(Z); P/=P.sum(1,keepdims=True)
        if mode=='exp':
            G=-P*(R-(P*R).sum(1,keepdims=True))/tau
        else:
            G=(P-T)*keep[:,None]
        g=A.T@G/n+l2*np.vstack([W[:-1],np.zeros((1,M))])
        m1=0.9*m1+0.1*g; v1=0.999*v1+0.001*g*g
        W-=lr*(m1/(1-0.9**t))/(np.sqrt(v1/(1-0.999**t))+1e-8)
    return B@W
import re, zlib
def words(p):
    return re.findall(r"[a-z0-9]+|[^\sa-z0-9]",p.lower())
def hashed(prompts,D=4096,bigrams=True,maxchars=None,idf=True):
    rows=[]
    for p in prompts:
        if maxchars: p=p[:maxchars]
        w=words(p); f=w+([a+' '+b for a,b in zip(w,w[1:])] if bigrams else [])
        h={}
        for t in f:
            k=zlib.crc32(t.encode())%D; h[k]=h.get(k,0)+1
        rows.append(h)
    H=np.zeros((len(prompts),D))
    for r,h in enumerate(rows):
        for k,v in h.items(): H[r,k]=1+np.log(v)
    if idf:
        df=(H>0).sum(0); H*=np.log((1+len(H))/(1+df))+1
    H/=np.linalg.norm(H,axis=1,keepdims=True)+1e-12
    return H
def topk(Xtr,Xte,K=400,exclude_self=False):
    sim=Xte@Xtr.T
    if exclude_self: np.fill_diagonal(sim,-9)
    K=min(K,Xtr.shape[0]-1)
    idx=np.argpartition(-sim,K,axis=1)[:,:K]
    s=np.take_along_axis(sim,idx,1)
    o=np.argsort(-s,1)
    return np.take_along_axis(idx,o,1),np.take_along_axis(s,o,1)
def est(Str,idx,sim,k,alpha=0.0,prior=None,temp=None):
    ii=idx[:,:k]; ss=sim[:,:k]
    w=np.ones_like(ss) if temp is None else np.exp((ss-ss[:,:1])/temp)
    num=np.einsum('nk,nkm->nm',w,Str[ii]); den=w.sum(1,keepdims=True)
    if prior is None: prior=np.broadcast_to(Str.mean(0),num.shape)
    return (num+alpha*prior)/(den+alpha)
def routed(S,P): return S[np.arange(len(S)),P.argmax(1)].mean()
def fit_stack(views,S,steps=10,brange=0.1,bsteps=10,rounds=2,margin=0.005):
    V=len(views); M=S.shape[1]
    import itertools
    best=None;bq=-1
    def grid(V,steps):
        if V==1: yield (steps,); return
        for a in range(steps+1):
            for r in grid(V-1,steps-a): yield (a,)+r
    for g in grid(V,steps):
        w=np.array(g)/steps
        P=sum(wi*v for wi,v in zip(w,views))
        q=routed(S,P)
        if q>bq+1e-12: bq=q;best=w
    base=sum(wi*v for wi,v in zip(best,views)); bias=np.zeros(M)
    for r in range(rounds):
        for m in range(M):
            bo=bias[m];bqq=-1
            for s in range(-bsteps,bsteps+1):
                off=brange*s/bsteps; b2=bias.copy(); b2[m]=off
                q=routed(S,base+b2)
                if q>bqq+1e-12 or (abs(q-bqq)<=1e-12 and abs(off)<abs(bo)): bqq=q;bo=off
            bias[m]=bo
    single=S.mean(0)
    fb=None
    if routed(S,base+bias)<single.max()+margin: fb=single.argmax()
    return best,bias,fb
def apply_stack(views,w,bias,fb):
    P=sum(wi*v for wi,v in zip(w,views))+bias
    if fb is not None: P=P.copy(); P[:,fb]+=10
    return P
def centred_scale(v,ref=None):
    c=v-v.mean(1,keepdims=True)
    s=(ref if ref is not None else c).std()
    return c/s if s>0 else c
VIEWS={}
def view(name):
    def deco(f): VIEWS[name]=f; return f
    return deco
@view('knn100')
def _(F,tr,te,S): idx,sim=topk(F['X'][tr],F['X'][te],100); return est(S[tr],idx,sim,100)
@view('knn50')
def _(F,tr,te,S): idx,sim=topk(F['X'][tr],F['X'][te],50); return est(S[tr],idx,sim,50)
@view('ridge')
def _(F,tr,te,S): return ridge(F['X'][tr],S[tr],F['X'][te],10)
@view('policy')
def _(F,tr,te,S): return softpolicy(F['X'][tr],S[tr],F['X'][te],1e-3,200)
@view('cknn50')
def _(F,tr,te,S): C=F['C']; idx,sim=topk(C[tr],C[te],50); return est(S[tr],idx,sim,50)
@view('cridge')
def _(F,tr,te,S): C=F['C']; return ridge(C[tr],S[tr],C[te],3)
@view('cpolicy')
def _(F,tr,te,S): C=F['C']; return softpolicy(C[tr],S[tr],C[te],1e-3,200)
CACHE={}
def procedure(F,S,tr,te,inner,names,scale=True,brange=0.3,margin=0.005,tag=''):
    tri=np.where(tr)[0]; tei=np.where(te)[0]
    oofs=[];tests=[]
    for nm in names:
        key=(tag,nm)
        if key not in CACHE:
            oof=np.zeros((len(tri),S.shape[1]))
            for g in range(3):
                a=tri[inner[tri]!=g]; b=tri[inner[tri]==g]
                oof[inner[tri]==g]=VIEWS[nm](F,a,b,S)
            CACHE[key]=(oof,VIEWS[nm](F,tri,tei,S))
        oof,tp=CACHE[key]
        if scale:
            ref=oof-oof.mean(1,keepdims=True)
            oof=centred_scale(oof,ref); tp=centred_scale(tp,ref)
        oofs.append(oof);tests.append(tp)
    w,b,fb=fit_stack(oofs,S[tri],brange=brange,margin=margin)
    return apply_stack(tests,w,b,fb),w,b,fb
def idxmask(n,ix): m=np.zeros(n,bool); m[ix]=True; return m
def lowrank(p,Str,r):
    mu=Str.mean(0); U,s,Vt=np.linalg.svd(Str-mu,full_matrices=False); V=Vt[:r].T
    return mu+(p-mu)@V@V.T
def hier(Str,idx,sim,ks=(25,100,400),alpha=(25,100,400)):
    prior=np.broadcast_to(Str.mean(0),(len(idx),Str.shape[1]))
    for k,a in sorted(zip(ks,alpha),reverse=True):
        prior=est(Str,idx,sim,k,a,prior)
    return prior
for _r in (2,3,4):
    def _mk(r):
        def f(F,tr,te,S): idx,sim=topk(F['X'][tr],F['X'][te],100); return lowrank(est(S[tr],idx,sim,100),S[tr],r)
        return f
    VIEWS[f'knnlr{_r}']=_mk(_r)
@view('hier')
def _(F,tr,te,S): idx,sim=topk(F['X'][tr],F['X'][te],400); return hier(S[tr],idx,sim,(25,100,400),(25,50,100))
@view('hier2')
def _(F,tr,te,S): idx,sim=topk(F['X'][tr],F['X'][te],400); return hier(S[tr],idx,sim,(10,50,200),(10,25,50))
def knnT(Xtr,Str,Xte,k=100,temp=0.3):
    idx,sim=topk(Xtr,Xte,k)
    w=np.exp((sim-1)/temp)
    return (np.einsum('nk,nkm->nm',w,Str[idx])+Str.mean(0))/(w.sum(1,keepdims=True)+1)
@view('knnT')
def _(F,tr,te,S): return knnT(F['X'][tr],S[tr],F['X'][te])
for _r in (2,3,4,5):
    def _mk(r):
        def f(F,tr,te,S): return lowrank(knnT(F['X'][tr],S[tr],F['X'][te]),S[tr],r)
        return f
    VIEWS[f'knnTlr{_r}']=_mk(_r)
    def _mk2(r):
        def f(F,tr,te,S): return lowrank(ridge(F['X'][tr],S[tr],F['X'][te],10),S[tr],r)
        return f
    VIEWS[f'ridgelr{_r}']=_mk2(_r)
@view('cknnT')
def _(F,tr,te,S): return knnT(F['C'][tr],S[tr],F['C'][te])
def autorank(F,S,tr,te,inner,tag,ranks,base=('knnT','ridge'),lr_on=(0,)):
    # choose r (None = full) by the stack's OOF routed quality; views listed in lr_on get projected
    tri=np.where(tr)[0]; tei=np.where(te)[0]
    res=[]
    M=S.shape[1]
    for r in ranks:
        oofs=[];tests=[]
        for j,nm in enumerate(base):
            key=(tag,nm)
            if key not in CACHE: procedure(F,S,tr,te,inner,[nm],tag=tag)
            oof,tp=CACHE[key]
            if r is not None and j in lr_on:
                oof=lowrank(oof,S[tri],r); tp=lowrank(tp,S[tri],r)
            ref=oof-oof.mean(1,keepdims=True)
            oofs.append(centred_scale(oof,ref)); tests.append(centred_scale(tp,ref))
        w,b,fb=fit_stack(oofs,S[tri],brange=0.3)
        q=routed(S[tri],apply_stack(oofs,w,b,fb))
        res.append((q,r,apply_stack(tests,w,b,fb),w,fb))
    return res
def logreg(A,y,w8,l2=1e-3,epochs=150,lr=0.1):
    n,dd=A.shape; W=np.zeros(dd); m1=np.zeros(dd); v1=np.zeros(dd)
    for t in range(1,epochs+1):
        z=A@W; p=1/(1+np.exp(-z)); g=A.T@((p-y)*w8)/w8.sum()+l2*np.r_[W[:-1],0]
        m1=0.9*m1+0.1*g; v1=0.999*v1+0.001*g*g
        W-=lr*(m1/(1-0.9**t))/(np.sqrt(v1/(1-0.999**t))+1e-8)
    return W
def pairwise(Xtr,Str,Xte,l2=1e-3):
    A=np.hstack([Xtr,np.ones((len(Xtr),1))]); B=np.hstack([Xte,np.ones((len(Xte),1))])
    M=Str.shape[1]; out=np.zeros((len(Xte),M))
    for a in range(M):
        for b in range(a+1,M):
            d=Str[:,a]-Str[:,b]; keep=np.abs(d)>1e-9
            if keep.sum()<10: continue
            y=(d>0).astype(float); W=logreg(A[keep],y[keep],np.abs(d[keep]),l2)
            p=1/(1+np.exp(-(B@W)))
            out[:,a]+=p; out[:,b]+=1-p
    return out/(M-1)
@view('pair')
def _(F,tr,te,S): return pairwise(F['X'][tr],S[tr],F['X'][te])

if __name__ == '__main__':
    import sys
    name = sys.argv[1]
    d, X, S, o, inner = load(name)
    H = hashed(d['prompts'], maxchars=600)
    F = {'X': X, 'C': np.hstack([X, H]) / np.sqrt(2)}
    tr = o != 0; te = o == 0
    if tr.sum() > 4000:
        rng = np.random.default_rng(1); ix = np.where(tr)[0]; tr = idxmask(len(o), rng.choice(ix, 4000, replace=False))
    for names in [['knnT', 'ridge'], ['knnT', 'ridge', 'policy'], ['knnT', 'policy'], ['cknnT', 'cridge'], ['cknnT', 'cpolicy'],
                  ['knnT', 'ridge', 'pair'], ['knnTlr3', 'ridge'], ['knnTlr4', 'ridge'], ['knnTlr5', 'ridge'], ['hier', 'ridge']]:
        P, w, b, fb = procedure(F, S, tr, te, inner, names, tag=name)
        print(names, round(gain(S[te], P), 2), w.round(2), fb, flush=True)
